"""Direct statements (the token INSERT and introspection SELECT) on their own autocommit connections."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from authserver import create_app
from authserver.clients.services import register_client
from authserver.db import Base
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.extensions import get_db
from authserver.tokens import services as tokens
from authserver.tokens.models import Token
from shared.config import Config
from shared.security import digest
from tests.support.postgres import admin


def _issue(app, access_token: str) -> None:
    with app.app_context():
        client = register_client(name="Partner", grant_types=["client_credentials"]).client
        tokens.store_token(
            with_session_changes=False,
            access_token=access_token,
            refresh_token=None,
            client_pk=client.id,
            user_id=None,
            scope="",
        )


def test_a_direct_insert_is_committed_on_its_own(auth_app):
    _issue(auth_app, "direct-token")
    with auth_app.app_context():
        # Read through the session, on another connection: the row is there, committed.
        row = db_session().scalars(select(Token).where(Token.access_token_digest == digest("direct-token"))).one()
        assert row.issued_at.tzinfo is not None
        found = tokens.find_token("direct-token")
        assert found.active and found.token.access_expires_at == row.access_expires_at


def test_a_failed_direct_statement_raises_sqlalchemys_error_and_the_next_one_works(auth_app):
    _issue(auth_app, "twice")
    with auth_app.app_context(), pytest.raises(IntegrityError) as refused:
        client_pk = db_session().scalars(select(Token.client_id)).one()
        tokens.store_token(
            with_session_changes=False,
            access_token="twice",
            refresh_token=None,
            client_pk=client_pk,
            user_id=None,
            scope="",
        )
    # A refused statement is not a dropped connection: it is not run a second time.
    assert not refused.value.connection_invalidated
    with auth_app.app_context():
        assert tokens.find_token("twice").active


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_the_database_dropped_is_replaced_without_an_error(auth_app, database_url):
    _issue(auth_app, "survivor")
    with auth_app.app_context():
        assert tokens.find_token("survivor").active  # leaves an idle direct connection
    server, name = database_url.rsplit("/", 1)
    admin(server, f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
    with auth_app.app_context():
        assert tokens.find_token("survivor").active


def test_on_an_in_memory_database_direct_statements_use_its_one_connection(tmp_path):
    app = create_app(
        Config.from_env(
            environ={}, instance_path=tmp_path, database_url="sqlite://", secret_key="test-secret-key", testing=True
        )
    )
    try:
        with app.app_context():
            Base.metadata.create_all(db_session().connection())
            db_session().commit()
        _issue(app, "in-memory")
        with app.app_context():
            assert tokens.find_token("in-memory").active
            assert tokens.find_token("unknown") is None
            # The session's transactions still roll back: the shared connection was left as it was.
            db_session().execute(update(Token).values(revoked_at=utcnow()))
            db_session().rollback()
            assert tokens.find_token("in-memory").active
    finally:
        app.extensions["authserver.db"].dispose()


def test_revoking_the_family_of_a_token_that_has_none_revokes_nothing(auth_app):
    _issue(auth_app, "alone")
    _issue(auth_app, "also-alone")
    with auth_app.app_context():
        record = tokens.find_token("alone")
        assert record.token.family_id is None
        assert tokens.revoke_family(record.token.family_id, reason="test") == 0
        assert tokens.find_token("also-alone").active


def test_sqlite_checkpoints_the_wal_every_10000_pages_on_every_connection(tmp_path):
    # Session and direct connections alike: any of them may be the one that commits past the mark.
    app = create_app(Config.from_env({"AUTHSERVER_INSTANCE_PATH": str(tmp_path)}))
    try:
        with app.app_context():
            session_value = db_session().connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
            direct_value = get_db().direct(text("PRAGMA wal_autocheckpoint")).first({})[0]
            journal = get_db().direct(text("PRAGMA journal_mode")).first({})[0]
    finally:
        app.extensions["authserver.db"].dispose()
    assert (session_value, direct_value, journal) == (10000, 10000, "wal")
