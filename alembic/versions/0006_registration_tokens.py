"""RFC 7591 initial access tokens, and the RFC 7592 registration access token of each self-registered client

Both hold SHA-256 digests only; the tokens are shown once.

Revision ID: 0006_registration_tokens
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa
import authserver.db

revision = '0006_registration_tokens'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "initial_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", authserver.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", authserver.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_initial_access_tokens")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_initial_access_tokens_token_digest")),
    )
    op.create_table(
        "client_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("access_token_digest", sa.String(length=64), nullable=False),
        sa.Column("initial_access_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", authserver.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", authserver.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_client_registrations_client_id_clients"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["initial_access_token_id"], ["initial_access_tokens.id"],
                                name=op.f("fk_client_registrations_initial_access_token_id_initial_access_tokens"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_registrations")),
        sa.UniqueConstraint("access_token_digest", name=op.f("uq_client_registrations_access_token_digest")),
        sa.UniqueConstraint("client_id", name=op.f("uq_client_registrations_client_id")),
    )
    op.create_index(op.f("ix_client_registrations_initial_access_token_id"), "client_registrations",
                    ["initial_access_token_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_client_registrations_initial_access_token_id"), table_name="client_registrations")
    op.drop_table("client_registrations")
    op.drop_table("initial_access_tokens")
