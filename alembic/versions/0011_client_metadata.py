"""clients: RFC 7591 metadata, how each was registered, a rotated secret's grace period; scope approvals

Existing clients were all added at the CLI (``registered_via`` = ``cli``). A restricted scope an
admin already put in a client's registration counts as approved for it, so nothing existing loses
a scope it had.

Revision ID: 0011_client_metadata
Revises: 0010_device_authorizations
"""

from alembic import op
import sqlalchemy as sa
import authserver.db

revision = '0011_client_metadata'
down_revision = '0010_device_authorizations'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("description", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("contacts", sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch.add_column(sa.Column("registered_via", sa.String(length=8), server_default="cli", nullable=False))
        batch.add_column(sa.Column("app_type", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("deleted_at", authserver.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("previous_secret_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("previous_secret_expires_at", authserver.db.UTCDateTime(timezone=True),
                                   nullable=True))
    approvals = op.create_table(
        "scope_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", authserver.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], name=op.f("fk_scope_approvals_client_id_clients"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["scope_id"], ["scopes.id"], name=op.f("fk_scope_approvals_scope_id_scopes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scope_approvals")),
        sa.UniqueConstraint("client_id", "scope_id", name="uq_scope_approvals_client_scope"),
    )
    op.create_index(op.f("ix_scope_approvals_scope_id"), "scope_approvals", ["scope_id"], unique=False)

    connection = op.get_bind()
    restricted = dict(connection.execute(sa.text("SELECT name, id FROM scopes WHERE restricted")).all())
    if restricted:
        clients = sa.table("clients", sa.column("id", sa.Integer()), sa.column("scopes", sa.JSON()))
        now = authserver.db.utcnow()
        rows = [
            {"client_id": client_id, "scope_id": restricted[name], "approved_at": now}
            for client_id, names in connection.execute(sa.select(clients.c.id, clients.c.scopes)).all()
            for name in dict.fromkeys(names or []) if name in restricted
        ]
        if rows:
            op.bulk_insert(approvals, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_scope_approvals_scope_id"), table_name="scope_approvals")
    op.drop_table("scope_approvals")
    with op.batch_alter_table("clients") as batch:
        for column in ("previous_secret_expires_at", "previous_secret_digest", "deleted_at", "app_type",
                       "registered_via", "contacts", "description"):
            batch.drop_column(column)
