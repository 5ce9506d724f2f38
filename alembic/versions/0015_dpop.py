"""DPoP (RFC 9449): tokens and codes bound to a key's thumbprint, clients that must send proofs

``tokens.dpop_jkt`` is the JWK thumbprint (RFC 7638) a token is bound to, ``authorization_codes.dpop_jkt``
the one an authorization request named (§10); both stay empty for existing rows (bearer tokens).
``clients.dpop_bound_access_tokens`` (§5.2) is off for existing clients.

Revision ID: 0015_dpop
Revises: 0014_sign_in_methods
"""

from alembic import op
import sqlalchemy as sa

revision = "0015_dpop"
down_revision = "0014_sign_in_methods"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("dpop_bound_access_tokens", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("authorization_codes") as batch:
        batch.add_column(sa.Column("dpop_jkt", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorization_codes") as batch:
        batch.drop_column("dpop_jkt")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("dpop_jkt")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("dpop_bound_access_tokens")
