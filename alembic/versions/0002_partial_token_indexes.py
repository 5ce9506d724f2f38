"""tokens: index user_id and authorization_code_id only where they are set

Client-credentials tokens have neither; leaving them out of both indexes spares each of their
INSERTs two index updates. Queries by either column (a user's tokens, a replayed code's tokens)
compare it with a value, which implies IS NOT NULL, so both SQLite and PostgreSQL use the indexes.

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = ("user_id", "authorization_code_id")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_tokens_{column}", table_name="tokens")
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(f"ix_tokens_{column}", "tokens", [column], unique=False,
                        sqlite_where=condition, postgresql_where=condition)


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_tokens_{column}", table_name="tokens")
        op.create_index(f"ix_tokens_{column}", "tokens", [column], unique=False)
