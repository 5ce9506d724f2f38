import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

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


def test_tokens_index_what_client_credentials_tokens_lack_only_where_set_and_lookups_use_the_indexes(database_url):
    engine = create_engine(database_url)
    try:
        where_key = f"{engine.dialect.name}_where"
        indexes = {index["name"]: index for index in inspect(engine).get_indexes("tokens")}
        for column in ("refresh_token_digest", "family_id", "user_id", "authorization_code_id"):
            index = indexes[f"ix_tokens_{column}"]
            assert "IS NOT NULL" in str(index.get("dialect_options", {}).get(where_key, "")).upper()
            assert bool(index["unique"]) == (column == "refresh_token_digest")
        assert [
            (constraint["name"], constraint["column_names"])
            for constraint in inspect(engine).get_unique_constraints("tokens")
        ] == [("uq_tokens_access_token_digest", ["access_token_digest"])]
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                for column in ("refresh_token_digest", "family_id", "user_id", "authorization_code_id"):
                    plan = " ".join(
                        str(row)
                        for row in connection.exec_driver_sql(
                            f"EXPLAIN QUERY PLAN SELECT id FROM tokens WHERE {column} = ?", (1,)
                        )
                    )
                    assert f"ix_tokens_{column}" in plan
                # A replayed code revokes the families it began: both lookups by their partial indexes.
                plan = " ".join(
                    str(row)
                    for row in connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN UPDATE tokens SET revoked_at = ? WHERE family_id IN "
                        "(SELECT family_id FROM tokens WHERE authorization_code_id = ?)",
                        ("2026-01-01", 1),
                    )
                )
                assert "ix_tokens_family_id" in plan and "ix_tokens_authorization_code_id" in plan
                # Introspection's one query: an access or a refresh digest, each by its own index.
                plan = " ".join(
                    str(row)
                    for row in connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN SELECT id FROM tokens WHERE access_token_digest = ? "
                        "OR refresh_token_digest = ?",
                        ("a", "a"),
                    )
                )
                assert "USING INDEX" in plan.split("(access_token_digest=?)")[0].rsplit("SEARCH", 1)[1]
                assert "ix_tokens_refresh_token_digest (refresh_token_digest=?)" in plan
    finally:
        engine.dispose()


def test_a_refresh_digest_stays_unique_and_a_client_credentials_token_needs_no_family(database_url):
    engine = create_engine(database_url)
    row = {
        "client_id": None,
        "scope": "s",
        "issued_at": "2026-01-01 00:00:00",
        "access_expires_at": "2026-01-01 00:00:00",
    }
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO clients (client_id, name, redirect_uris, post_logout_redirect_uris, grant_types, "
                "response_types, scopes, token_endpoint_auth_method, is_resource_server, disabled, created_at) "
                "VALUES ('c', 'n', '[]', '[]', '[]', '[]', '[]', 'none', false, false, '2026-01-01 00:00:00')"
            )
            row["client_id"] = connection.exec_driver_sql("SELECT id FROM clients").scalar_one()
        insert = text(
            "INSERT INTO tokens (access_token_digest, refresh_token_digest, family_id, client_id, scope, "
            "issued_at, access_expires_at) VALUES (:a, :r, :f, :client_id, :scope, :issued_at, :access_expires_at)"
        )
        with engine.begin() as connection:
            for number in range(2):  # several familyless tokens without refresh tokens
                connection.execute(insert, {**row, "a": f"cc{number}", "r": None, "f": None})
            connection.execute(insert, {**row, "a": "first", "r": "refresh", "f": "family"})
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {**row, "a": "second", "r": "refresh", "f": "family"})
    finally:
        engine.dispose()
