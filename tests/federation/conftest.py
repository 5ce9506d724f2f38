"""Our authorization server and fake upstreams, each a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select

from authserver import create_app
from authserver.accounts.models import User
from authserver.audit.models import AuditEvent
from authserver.extensions import db_session
from authserver.federation import services
from authserver.federation.oidc import forget_documents
from tests.support.fake_upstreams import FakeGitHub
from tests.support.fake_upstreams import FakeOidcProvider
from tests.support.live_server import LiveServer

PASSWORD = "correct horse battery"
# Short, so the slow-upstream test does not wait long; long enough for a loaded CI machine.
TIMEOUT = 2.0


@dataclass
class AuthServer:
    url: str
    app: object

    def add_upstream(self, client_id: str = "our-client", client_secret: str = "our-secret", **fields):
        with self.app.app_context():
            return services.add_provider(client_id=client_id, client_secret=client_secret, **fields)


@pytest.fixture(autouse=True)
def fresh_discovery_cache():
    # The cache is per process and keyed by URL; a closed fake's port may be reused by the next test.
    forget_documents()
    yield
    forget_documents()


@pytest.fixture
def auth_server(config):
    server = LiveServer()
    app = create_app(config.replace(issuer=server.url, federation_timeout=TIMEOUT))
    server.start(app)
    yield AuthServer(server.url, app)
    server.stop()
    app.extensions["authserver.db"].dispose()


@pytest.fixture
def oidc(auth_server):
    fake = FakeOidcProvider().start()
    fake.redirect_uris.append(f"{auth_server.url}/login/corp/callback")
    auth_server.add_upstream(name="corp", type_="oidc", issuer=fake.url)
    yield fake
    fake.stop()


@pytest.fixture
def github(auth_server):
    fake = FakeGitHub().start()
    fake.redirect_uris.append(f"{auth_server.url}/login/github/callback")
    auth_server.add_upstream(
        name="github",
        type_="github",
        authorize_url=fake.url + "/login/oauth/authorize",
        token_url=fake.url + "/login/oauth/access_token",
        userinfo_url=fake.url + "/user",
    )
    yield fake
    fake.stop()


@dataclass
class Trip:
    start: requests.Response
    upstream: requests.Response | None
    callback: requests.Response | None

    @property
    def landed(self) -> str | None:
        """Where our server sent the browser after the callback (None if it did not redirect)."""
        if self.callback is None or self.callback.status_code not in (302, 303):
            return None
        return self.callback.headers["Location"]


def go(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, allow_redirects=False, timeout=10)


def upstream_round_trip(session: requests.Session, base: str, name: str, next_url: str | None = None) -> Trip:
    """/login/NAME → the upstream (which approves at once) → our callback, one redirect at a time."""
    start = go(
        session, f"{base}/login/{name}" + (f"?next={requests.utils.quote(next_url, safe='')}" if next_url else "")
    )
    if start.status_code != 302:
        return Trip(start, None, None)
    upstream = go(session, start.headers["Location"])
    if upstream.status_code != 302:
        return Trip(start, upstream, None)
    callback = go(session, urljoin(start.headers["Location"], upstream.headers["Location"]))
    return Trip(start, upstream, callback)


def users(app):
    with app.app_context():
        return [(u.email, u.sub, u.email_verified) for u in db_session().scalars(select(User).order_by(User.id))]


def failures(app):
    with app.app_context():
        return [
            e.details["reason"]
            for e in db_session().scalars(
                select(AuditEvent).where(AuditEvent.event == "upstream.login_failed").order_by(AuditEvent.id)
            )
        ]


def signed_in_email(session, base):
    page = go(session, f"{base}/account/identities")
    match = re.search(r'data-signed-in="([^"]+)"', page.text) if page.status_code == 200 else None
    return match.group(1) if match else None
