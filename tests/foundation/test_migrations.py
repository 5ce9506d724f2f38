from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect
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


def test_tokens_index_users_and_codes_only_where_set_and_lookups_use_the_indexes(database_url):
    engine = create_engine(database_url)
    try:
        where_key = f"{engine.dialect.name}_where"
        partial = {index["name"]: str(index.get("dialect_options", {}).get(where_key, ""))
                   for index in inspect(engine).get_indexes("tokens")}
        assert "IS NOT NULL" in partial["ix_tokens_user_id"].upper()
        assert "IS NOT NULL" in partial["ix_tokens_authorization_code_id"].upper()
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                for column in ("user_id", "authorization_code_id"):
                    plan = " ".join(str(row) for row in connection.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN SELECT id FROM tokens WHERE {column} = ?", (1,)))
                    assert f"ix_tokens_{column}" in plan
    finally:
        engine.dispose()
