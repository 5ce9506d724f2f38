from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import select

from authserver.migrations import upgrade
from authserver.models import Base
from authserver.models import Scope


def test_migrations_build_exactly_the_models(database_url):
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_is_idempotent_and_seeds_openid_scopes_once(database_url):
    upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        names = connection.scalars(select(Scope.name).order_by(Scope.name)).all()
    engine.dispose()
    assert names == ["email", "offline_access", "openid", "profile"]
