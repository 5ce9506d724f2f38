"""clients.pkce: PKCE (S256) required of every client unless an admin lets a legacy confidential one off

Existing clients become "required" too (RFC 9700 §2.1.1); `clients set-pkce ID optional` lets a
confidential client that cannot send PKCE go on without it.

Revision ID: 0012_client_pkce
Revises: 0011_client_metadata
"""

from alembic import op
import sqlalchemy as sa

revision = '0012_client_pkce'
down_revision = '0011_client_metadata'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("pkce", sa.String(length=16), server_default="required", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("pkce")
