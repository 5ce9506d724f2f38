"""security_state: throttles, ended sessions and replay caches shared by every process without Redis

Revision ID: 0007_security_state
Revises: 0006_registration_tokens
"""

from alembic import op
import sqlalchemy as sa

revision = '0007_security_state'
down_revision = '0006_registration_tokens'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_state",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_security_state")),
    )
    op.create_index(op.f("ix_security_state_expires_at"), "security_state", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_security_state_expires_at"), table_name="security_state")
    op.drop_table("security_state")
