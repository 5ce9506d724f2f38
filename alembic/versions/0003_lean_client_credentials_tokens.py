"""tokens: client-credentials tokens carry no family, and only set refresh digests are indexed

A client-credentials token has no refresh token and belongs to no family (nothing rotates or
replays from it). With family_id nullable and both indexes partial (WHERE ... IS NOT NULL, as
0002 did for user_id and authorization_code_id), its INSERT updates three indexes instead of
five: on SQLite a third less work per token. Refresh digests stay unique where set.

SQLite cannot drop a table's UNIQUE constraint or a NOT NULL in place: the table is rebuilt
(batch mode), its rows copied. The partial indexes of 0002 are dropped first and made again
after, so the rebuild does not depend on reflecting their WHERE clauses.

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PARTIAL = ("user_id", "authorization_code_id")


def _partial_index(column: str, unique: bool = False) -> None:
    condition = sa.text(f"{column} IS NOT NULL")
    op.create_index(f"ix_tokens_{column}", "tokens", [column], unique=unique,
                    sqlite_where=condition, postgresql_where=condition)


def upgrade() -> None:
    for column in PARTIAL:
        op.drop_index(f"ix_tokens_{column}", table_name="tokens")
    op.drop_index("ix_tokens_family_id", table_name="tokens")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_constraint("uq_tokens_refresh_token_digest", type_="unique")
        batch.alter_column("family_id", existing_type=sa.String(length=64), nullable=True)
    _partial_index("refresh_token_digest", unique=True)
    for column in ("family_id", *PARTIAL):
        _partial_index(column)


def downgrade() -> None:
    for column in ("refresh_token_digest", "family_id", *PARTIAL):
        op.drop_index(f"ix_tokens_{column}", table_name="tokens")
    # Each familyless token becomes a family of its own, as it was before 0003.
    op.execute("UPDATE tokens SET family_id = 'cc-' || id WHERE family_id IS NULL")
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column("family_id", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint("uq_tokens_refresh_token_digest", ["refresh_token_digest"])
    op.create_index("ix_tokens_family_id", "tokens", ["family_id"], unique=False)
    for column in PARTIAL:
        _partial_index(column)
