"""usage_records: the resource server names each record, and a record delivered twice is stored once

A batch whose answer is lost (a timeout, a dropped connection) is sent again; with each record's
name unique (where there is one: rows stored before have none), the second delivery adds nothing.

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("usage_records", sa.Column("record_id", sa.String(length=64), nullable=True))
    condition = sa.text("record_id IS NOT NULL")
    op.create_index("ix_usage_records_record_id", "usage_records", ["record_id"], unique=True,
                    sqlite_where=condition, postgresql_where=condition)


def downgrade() -> None:
    op.drop_index("ix_usage_records_record_id", table_name="usage_records")
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("record_id")
