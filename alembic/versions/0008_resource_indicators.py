"""Resource indicators (RFC 8707): a resource server's resource URL; the audience of codes and tokens

A resource server client names the resource identifier tokens are minted for; an authorization
code keeps the resources the person authorized, a token the ones it is for. Rows stored before
have none: no audience, accepted by every resource server, as they were.

Revision ID: 0008_resource_indicators
Revises: 0007_security_state
"""

from alembic import op
import sqlalchemy as sa

revision = '0008_resource_indicators'
down_revision = '0007_security_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("resource_url", sa.String(length=500), nullable=True))
    op.add_column("authorization_codes", sa.Column("audience", sa.Text(), nullable=True))
    op.add_column("tokens", sa.Column("audience", sa.Text(), nullable=True))


def downgrade() -> None:
    for table, column in (("tokens", "audience"), ("authorization_codes", "audience"), ("clients", "resource_url")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
