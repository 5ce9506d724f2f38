"""A registration endpoint to talk to: in-process for the rules, live for real clients."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlalchemy import select

from authserver import create_app
from authserver.clients.models import Client
from authserver.extensions import db_session
from authserver.registration.services import create_initial_access_token
from authserver.scopes.services import add_scope
from tests.support.oauth import serve_auth

REGISTER = "/oauth/register"
CALLBACK = "http://127.0.0.1:8765/callback"


class Registrar:
    """The app's test client, with the calls registration tests make."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()

    def token(self, expires_in: int | None = None, max_uses: int | None = None) -> str:
        with self.app.app_context():
            return create_initial_access_token(expires_in, max_uses)[1]

    def scope(self, name: str, restricted: bool = False) -> None:
        with self.app.app_context():
            add_scope(name, f"Use {name}", restricted)

    def register(self, metadata, token: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.post(REGISTER, json=metadata, headers=headers, **kwargs)

    def client_count(self) -> int:
        with self.app.app_context():
            return db_session().scalar(select(func.count()).select_from(Client))


def _registrar(config, **changes):
    # No per-process client cache: an admin's change (an approval) shows at the next request.
    app = create_app(config.replace(lookup_cache_ttl=0, **changes))
    yield Registrar(app)
    app.extensions["authserver.db"].dispose()


@pytest.fixture
def registrar(config):
    """Open registration off, as by default."""
    yield from _registrar(config)


@pytest.fixture
def open_registrar(config):
    """AUTHSERVER_OPEN_REGISTRATION=1, three registrations an hour per address."""
    yield from _registrar(config, open_registration=True, open_registrations_per_hour=3)


@pytest.fixture
def live_open_auth(config):
    """A live authorization server with open registration on (see tests/support/oauth.py)."""
    with serve_auth(config, open_registration=True) as live:
        yield live
