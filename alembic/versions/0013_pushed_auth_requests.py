"""pushed authorization requests (RFC 9126): the pushed requests, and clients that must push

A pushed request is stored under the SHA-256 digest of its ``request_uri`` only, for the minute and
a half it may be used in; ``clients.require_pushed_authorization_requests`` is off for existing clients.

Revision ID: 0013_pushed_auth_requests
Revises: 0012_client_pkce
"""

from alembic import op
import sqlalchemy as sa
import authserver.db

revision = '0013_pushed_auth_requests'
down_revision = '0012_client_pkce'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("require_pushed_authorization_requests", sa.Boolean(),
                                   server_default=sa.false(), nullable=False))
    op.create_table('pushed_authorization_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_uri_digest', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('created_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('opened_at', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_at', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_pushed_authorization_requests_client_id_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pushed_authorization_requests')),
    sa.UniqueConstraint('request_uri_digest', name=op.f('uq_pushed_authorization_requests_request_uri_digest'))
    )
    with op.batch_alter_table('pushed_authorization_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pushed_authorization_requests_client_id'), ['client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pushed_authorization_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pushed_authorization_requests_client_id'))
    op.drop_table('pushed_authorization_requests')
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("require_pushed_authorization_requests")
