"""client ids up to 255 characters: a client named by its metadata document has its URL as id

clients.client_id, and the two places that keep a client's id as text (usage records, audit events).
SQLite rebuilds the tables (batch mode); usage_records' partial index is dropped first and made
again after, so the rebuild does not depend on reflecting its WHERE clause.

Revision ID: 0009_client_id_urls
Revises: 0008_resource_indicators
"""

from alembic import op
import sqlalchemy as sa

revision = '0009_client_id_urls'
down_revision = '0008_resource_indicators'
branch_labels = None
depends_on = None

COLUMNS = (("clients", False), ("usage_records", False), ("audit_events", True))


def _resize(length: int) -> None:
    condition = sa.text("record_id IS NOT NULL")
    op.drop_index("ix_usage_records_record_id", table_name="usage_records")
    for table, nullable in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("client_id", existing_type=sa.String(), type_=sa.String(length=length),
                               existing_nullable=nullable)
    op.create_index("ix_usage_records_record_id", "usage_records", ["record_id"], unique=True,
                    sqlite_where=condition, postgresql_where=condition)


def upgrade() -> None:
    _resize(255)


def downgrade() -> None:
    _resize(64)
