"""A second instance of this authorization server, with its own database, as the OIDC upstream of the first."""

import shutil
import uuid

import pytest
import requests

from authserver import create_app
from shared.config import Config
from tests.federation.conftest import go
from tests.federation.conftest import signed_in_email
from tests.federation.conftest import users
from tests.support.live_server import LiveServer
from tests.support.oauth import LiveAuth
from tests.support.oauth import query_of


@pytest.fixture
def other_server(tmp_path, sqlite_template):
    path = tmp_path / "upstream.sqlite3"
    shutil.copyfile(sqlite_template, path)
    server = LiveServer()
    config = Config.from_env(
        environ={},
        instance_path=tmp_path / "upstream-instance",
        database_url=f"sqlite:///{path}",
        issuer=server.url,
        secret_key="upstream-" + uuid.uuid4().hex,
        testing=True,
    )
    app = create_app(config)
    server.start(app)
    yield LiveAuth(server.url, app)
    server.stop()
    app.extensions["authserver.db"].dispose()


def test_sign_in_through_another_instance_of_this_server(auth_server, other_server):
    client = other_server.client(
        redirect_uri=f"{auth_server.url}/login/partner/callback", scope="openid email profile", name="First server"
    )
    auth_server.add_upstream(
        name="partner",
        type_="oidc",
        issuer=other_server.url,
        client_id=client.client_id,
        client_secret=client.client_secret,
    )
    person = other_server.user("bea@example.com")
    upstream_browser = other_server.browser()
    upstream_browser.sign_in(person)
    # Each server keeps its own session cookie, as a browser does per origin (same host, other port).
    ours = requests.Session()
    start = go(ours, f"{auth_server.url}/login/partner?next=/account/apps")
    assert start.headers["Location"].startswith(other_server.authorize_endpoint)
    params = query_of(start.headers["Location"])
    assert params["code_challenge_method"] == "S256" and params["nonce"] and params["state"]
    back = upstream_browser.authorize(params)
    assert back.headers["Location"].startswith(f"{auth_server.url}/login/partner/callback?")
    done = go(ours, back.headers["Location"])
    assert done.status_code == 303 and done.headers["Location"] == "/account/apps", done.text[:500]
    assert signed_in_email(ours, auth_server.url) == "bea@example.com"
    [(email, sub, _verified)] = users(auth_server.app)
    assert email == "bea@example.com" and sub != person.sub  # our own sub, not the upstream's
    # Signing in again the same way lands in the same account.
    again = requests.Session()
    start = go(again, f"{auth_server.url}/login/partner")
    assert (
        go(again, upstream_browser.authorize(query_of(start.headers["Location"])).headers["Location"]).status_code
        == 303
    )
    assert users(auth_server.app) == [(email, sub, _verified)]
