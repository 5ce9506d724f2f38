"""The token and introspection endpoints are hot paths: count the SQL each request costs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event

from tests.support.oauth import introspect
from tests.support.oauth import token_request


class StatementLog(logging.Handler):
    """Statements run through the session (engine events) and directly (the authserver.direct log)."""

    def __init__(self, engine):
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)
        direct = logging.getLogger("authserver.direct")
        self._level = direct.level
        direct.setLevel(logging.DEBUG)
        direct.addHandler(self)

    def close(self) -> None:
        direct = logging.getLogger("authserver.direct")
        direct.removeHandler(self)
        direct.setLevel(self._level)
        super().close()

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement.split()[0].upper())

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage().split()[0].upper())

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return taken


@pytest.fixture
def config(config):
    """The suite's live_auth, with a client cache that outlives a slow test machine's pauses."""
    return config.replace(lookup_cache_ttl=60.0)


def test_client_credentials_is_one_insert_and_introspection_one_select_once_the_client_is_cached(live_auth, request):
    client = live_auth.client(redirect_uri=None)
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    log = StatementLog(live_auth.app.extensions["authserver.db"].engine)
    request.addfinalizer(log.close)

    def token():
        return token_request(live_auth, client, {"grant_type": "client_credentials"}).json()["access_token"]

    access_token = token()
    assert log.take().count("SELECT") == 1  # the client, now cached for lookup_cache_ttl
    access_token = token()
    assert log.take() == ["INSERT"]
    assert introspect(live_auth, resource, access_token).json()["active"] is True
    log.take()
    assert introspect(live_auth, resource, access_token).json()["active"] is True
    assert log.take() == ["SELECT"]
