"""clients.access_token_format: opaque (the default) or RFC 9068 JWT access tokens

Existing clients keep opaque access tokens.

Revision ID: 0016_access_token_format
Revises: 0015_dpop
"""

from alembic import op
import sqlalchemy as sa

revision = '0016_access_token_format'
down_revision = '0015_dpop'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("access_token_format", sa.String(length=8), server_default="opaque",
                                   nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("access_token_format")
