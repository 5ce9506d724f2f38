"""usage_records: a row counts the calls it stands for (requests)

A resource server sums the calls of each flush interval per client, user, endpoint and model and
reports them as one record. Rows stored before stand for one call each: the default.

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("usage_records", sa.Column("requests", sa.Integer(), server_default=sa.text("1"), nullable=False))


def downgrade() -> None:
    # One row per call again would need rows copied per call; the summed ones keep their tokens.
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("requests")
