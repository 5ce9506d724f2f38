"""Upstream down, slow, failing or cancelled: a friendly page, a way back, an audit event, nothing kept."""

import re
import time
from html import escape
from html import unescape
from urllib.parse import urlencode

import requests

from authserver.clients.services import register_client
from tests.federation.conftest import TIMEOUT
from tests.federation.conftest import failures
from tests.federation.conftest import go
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.oauth import query_of
from tests.support.ports import free_port

AUTHORIZE = "/oauth/authorize?client_id=app&response_type=code&state=s1&scope=openid"
BACK_LINK = f'href="{AUTHORIZE.replace("&", "&amp;")}"'


def test_upstream_down_before_the_round_trip(auth_server):
    auth_server.add_upstream(name="gone", type_="oidc", issuer=f"http://127.0.0.1:{free_port()}")
    page = go(requests.Session(), f"{auth_server.url}/login/gone?next={requests.utils.quote(AUTHORIZE, safe='')}")
    assert page.status_code == 502 and "Gone is not responding" in page.text
    assert BACK_LINK in page.text
    assert failures(auth_server.app) == ["unavailable"]


def test_upstream_down_at_the_token_endpoint(auth_server, oidc):
    session = requests.Session()
    start = go(session, f"{auth_server.url}/login/corp?next={requests.utils.quote(AUTHORIZE, safe='')}")
    upstream = go(session, start.headers["Location"])
    oidc.stop()
    page = go(session, upstream.headers["Location"])
    assert page.status_code == 502 and "not responding" in page.text and BACK_LINK in page.text
    assert users(auth_server.app) == [] and failures(auth_server.app) == ["unavailable"]


def test_slow_upstream_times_out(auth_server, oidc):
    oidc.token_delay = TIMEOUT + 1.5
    began = time.monotonic()
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert time.monotonic() - began < TIMEOUT + 1.4
    assert trip.callback.status_code == 502 and "not responding" in trip.callback.text
    assert users(auth_server.app) == [] and failures(auth_server.app) == ["unavailable"]


def test_person_cancels_at_the_upstream(auth_server, oidc):
    """The page offers a retry, and a way back to the waiting app with access_denied (RFC 6749 §4.1.2.1)."""
    oidc.misbehave = "deny"
    with auth_server.app.app_context():
        client = register_client(name="Photo App", redirect_uris=["http://127.0.0.1:8765/cb"]).client
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:9999/cb",
            "state": "s-1",
            "scope": "openid",
            "code_challenge": "x" * 43,
            "code_challenge_method": "S256",
        }
    )
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp", next_url=authorize)
    assert trip.callback.status_code == 400 and "Sign-in cancelled" in trip.callback.text
    assert f'href="{escape(authorize)}"' in trip.callback.text
    way_back = re.search(r'data-action="return-to-client" href="([^"]+)">Back to Photo App', trip.callback.text)
    assert way_back, trip.callback.text
    url = unescape(way_back.group(1))
    assert url.startswith("http://127.0.0.1:9999/cb?")  # loopback: the port the app asked for
    assert query_of(url) == {
        "error": "access_denied",
        "error_description": "The user cancelled signing in.",
        "state": "s-1",
        "iss": auth_server.url,
    }
    assert oidc.token_requests == [] and users(auth_server.app) == []
    assert failures(auth_server.app) == ["cancelled"]


def test_no_way_back_to_an_unregistered_redirect_uri(auth_server, oidc):
    oidc.misbehave = "deny"
    with auth_server.app.app_context():
        client = register_client(name="Photo App", redirect_uris=["https://app.example/cb"]).client
    authorize = "/oauth/authorize?" + urlencode(
        {
            "client_id": client.client_id,
            "response_type": "code",
            "redirect_uri": "https://evil.example/cb",
            "state": "s",
        }
    )
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp", next_url=authorize)
    assert trip.callback.status_code == 400 and "return-to-client" not in trip.callback.text


def test_upstream_error_response(auth_server, oidc):
    oidc.misbehave = "token_error"
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert trip.callback.status_code == 400 and "Corp couldn't sign you in" in unescape(trip.callback.text)
    assert 'href="/login"' in trip.callback.text
    assert users(auth_server.app) == [] and failures(auth_server.app) == ["upstream_error"]


def test_disabled_or_unknown_provider_is_not_offered(auth_server, oidc, github, cli):
    login = go(requests.Session(), f"{auth_server.url}/login?next=/account/apps")
    assert 'data-provider="corp"' in login.text and 'data-provider="github"' in login.text
    assert 'href="/login/corp?next=%2Faccount%2Fapps"' in login.text
    cli.ok("upstreams", "disable", "corp")
    login = go(requests.Session(), f"{auth_server.url}/login")
    assert 'data-provider="corp"' not in login.text and 'data-provider="github"' in login.text
    assert go(requests.Session(), f"{auth_server.url}/login/corp").status_code == 404
    assert go(requests.Session(), f"{auth_server.url}/login/nobody").status_code == 404
    assert oidc.authorize_requests == []


def test_secret_sealed_under_an_old_server_key_is_a_friendly_page(auth_server, oidc, cli, config):
    cli.env["AUTHSERVER_SECRET_KEY"] = "a-rotated-key-" + config.secret_key
    cli.ok(
        "upstreams",
        "add",
        "--name",
        "rotated",
        "--type",
        "oidc",
        "--client-id",
        "c",
        "--client-secret-stdin",
        "--issuer",
        oidc.url,
        input="s3cret\n",
    )
    assert {row["name"]: row["secret_ok"] for row in cli.ok("upstreams", "list", "--json").json} == {
        "corp": False,
        "rotated": True,
    }
    cli.env["AUTHSERVER_SECRET_KEY"] = config.secret_key
    assert {row["name"]: row["secret_ok"] for row in cli.ok("upstreams", "list", "--json").json} == {
        "corp": True,
        "rotated": False,
    }
    page = go(requests.Session(), f"{auth_server.url}/login/rotated")
    assert page.status_code == 502 and "not set up correctly" in page.text
    assert failures(auth_server.app) == ["misconfigured"]


def test_a_disabled_account_cannot_sign_in_through_an_upstream(auth_server, oidc, cli):
    assert upstream_round_trip(requests.Session(), auth_server.url, "corp").callback.status_code == 303
    cli.ok("users", "disable", "ada@example.com")
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert trip.callback.status_code == 400 and "This account is disabled" in trip.callback.text
    assert failures(auth_server.app) == ["disabled"]


def test_upstream_without_a_client_secret_auth_method_we_speak_is_refused(auth_server, oidc):
    oidc.auth_methods = ["private_key_jwt"]
    page = go(requests.Session(), f"{auth_server.url}/login/corp")
    assert page.status_code == 502 and oidc.authorize_requests == []
    assert failures(auth_server.app) == ["upstream_error"]
