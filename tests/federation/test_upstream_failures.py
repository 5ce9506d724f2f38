"""Upstream down, slow, failing or cancelled: a friendly page, a way back, an audit event, nothing kept."""

import time
from html import unescape

import requests

from tests.federation.conftest import TIMEOUT
from tests.federation.conftest import failures
from tests.federation.conftest import go
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.postgres import free_port

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
    """The way back is the pending authorization request, where the consent page offers to deny."""
    oidc.misbehave = "deny"
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp", next_url=AUTHORIZE)
    assert trip.callback.status_code == 400 and "Sign-in cancelled" in trip.callback.text
    assert BACK_LINK in trip.callback.text
    assert oidc.token_requests == [] and users(auth_server.app) == []
    assert failures(auth_server.app) == ["cancelled"]


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
