"""how people signed in (amr) on codes, device authorizations and tokens; pushed requests bound to a browser

``amr`` (RFC 8176 values, space-separated) travels from the sign-in to the id_tokens and introspection
answers of every token that descends from it; rows from before have none (no ``amr`` claim).
``pushed_authorization_requests.browser_digest`` binds an opened ``request_uri`` to the browser that
opened it; a request opened before the upgrade binds to the next browser that carries it on.

Revision ID: 0014_sign_in_methods
Revises: 0013_pushed_auth_requests
"""

from alembic import op
import sqlalchemy as sa

revision = '0014_sign_in_methods'
down_revision = '0013_pushed_auth_requests'
branch_labels = None
depends_on = None

AMR_TABLES = ("authorization_codes", "device_authorizations", "tokens")


def upgrade() -> None:
    for table in AMR_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("amr", sa.Text(), nullable=True))
    with op.batch_alter_table("pushed_authorization_requests") as batch:
        batch.add_column(sa.Column("browser_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pushed_authorization_requests") as batch:
        batch.drop_column("browser_digest")
    for table in AMR_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("amr")
