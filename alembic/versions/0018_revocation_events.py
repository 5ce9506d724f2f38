"""revocation events: what resource servers learn of each revocation, in commit order

Read by resource servers through ``GET /internal/revocations`` (or pushed over Redis); purged with
expired tokens once nothing they cover can be alive.

Revision ID: 0018_revocation_events
Revises: 0017_token_exchange
"""

from alembic import op
import sqlalchemy as sa
import authserver.db

revision = '0018_revocation_events'
down_revision = '0017_token_exchange'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revocation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', authserver.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_revocation_events')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('revocation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revocation_events_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('revocation_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revocation_events_expires_at'))
    op.drop_table('revocation_events')
