"""token exchange (RFC 8693): the actor a token was exchanged for

``tokens.act`` holds the ``act`` claim (RFC 8693 §4.1) of a token issued by token exchange, nested for
a chain of exchanges; it is NULL for every other token, so existing rows need nothing.

Revision ID: 0017_token_exchange
Revises: 0016_access_token_format
"""

from alembic import op
import sqlalchemy as sa

revision = '0017_token_exchange'
down_revision = '0016_access_token_format'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("act", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("act")
