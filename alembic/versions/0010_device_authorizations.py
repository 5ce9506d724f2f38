"""device_authorizations: the state of the device authorization grant (RFC 8628)

Device and user codes are stored as SHA-256 digests only; a row lives from the device's request
until its code expires (``tokens purge`` removes it then).

Revision ID: 0010_device_authorizations
Revises: 0009_client_id_urls
"""

from alembic import op
import sqlalchemy as sa
import authserver.db


revision = '0010_device_authorizations'
down_revision = '0009_client_id_urls'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('device_authorizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_code_digest', sa.String(length=64), nullable=False),
    sa.Column('user_code_digest', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('audience', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('auth_time', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('interval', sa.Integer(), nullable=False),
    sa.Column('last_polled_at', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('consumed_at', authserver.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['clients.id'], name=op.f('fk_device_authorizations_client_id_clients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_device_authorizations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_authorizations')),
    sa.UniqueConstraint('device_code_digest', name=op.f('uq_device_authorizations_device_code_digest')),
    sa.UniqueConstraint('user_code_digest', name=op.f('uq_device_authorizations_user_code_digest'))
    )
    with op.batch_alter_table('device_authorizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_authorizations_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_device_authorizations_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('device_authorizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_authorizations_user_id'))
        batch_op.drop_index(batch_op.f('ix_device_authorizations_client_id'))

    op.drop_table('device_authorizations')
