"""Sign-in through an OpenID Connect upstream: state, PKCE S256, nonce and id_token validation."""

import secrets
from urllib.parse import parse_qs
from urllib.parse import quote
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func
from sqlalchemy import select

from authserver.extensions import db_session
from authserver.federation.models import UpstreamIdentity
from tests.federation.conftest import failures
from tests.federation.conftest import go
from tests.federation.conftest import signed_in_email
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.fake_upstreams import s256
from tests.support.oauth import LiveAuth
from tests.support.oauth import exchange_code
from tests.support.oauth import verified_id_token

AUTHORIZE = "/oauth/authorize?client_id=app&response_type=code&state=xyz&scope=openid"


def test_round_trip_uses_state_pkce_s256_and_nonce_and_creates_the_account(auth_server, oidc):
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "corp", next_url=AUTHORIZE)
    sent = oidc.authorize_requests[0]
    assert sent["scope"] == "openid email profile"
    assert len(sent["state"]) >= 30 and len(sent["nonce"]) >= 20
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert sent["redirect_uri"] == f"{auth_server.url}/login/corp/callback"
    exchanged = oidc.token_requests[0]
    assert s256(exchanged["code_verifier"]) == sent["code_challenge"]
    assert exchanged["auth_method"] == "client_secret_basic"
    # The client's authorization request resumes unaltered.
    assert trip.callback.status_code == 303 and trip.landed == AUTHORIZE
    assert users(auth_server.app) == [("ada@example.com", users(auth_server.app)[0][1], True)]
    assert signed_in_email(session, auth_server.url) == "ada@example.com"


def test_sub_is_stable_across_sign_ins(auth_server, oidc):
    upstream_round_trip(requests.Session(), auth_server.url, "corp")
    first = users(auth_server.app)
    oidc.user["email"] = "ada.lovelace@example.com"  # the upstream's email may change; the identity holds
    later = requests.Session()
    upstream_round_trip(later, auth_server.url, "corp")
    assert users(auth_server.app) == first
    assert signed_in_email(later, auth_server.url) == "ada@example.com"


def test_token_endpoint_auth_follows_the_upstream_metadata(auth_server, oidc):
    oidc.auth_methods = ["client_secret_post"]
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert trip.callback.status_code == 303
    assert oidc.token_requests[0]["auth_method"] == "client_secret_post"


def test_discovery_document_is_cached(auth_server, oidc):
    for _ in range(2):
        assert upstream_round_trip(requests.Session(), auth_server.url, "corp").callback.status_code == 303
    assert oidc.discovery_hits == 1


def test_callback_with_foreign_state_is_refused(auth_server, oidc):
    """RFC 6749 §10.12: a code delivered to a browser that did not start the round trip is not used."""
    attacker, victim = requests.Session(), requests.Session()
    start = go(attacker, f"{auth_server.url}/login/corp")
    upstream = go(attacker, start.headers["Location"])
    refused = go(victim, upstream.headers["Location"])
    assert refused.status_code == 400 and "sign-in link has expired" in refused.text
    assert oidc.token_requests == []  # the code was never redeemed
    assert users(auth_server.app) == [] and failures(auth_server.app) == ["state"]


@pytest.mark.parametrize("query", ["", "?code=abc", "?code=abc&state=made-up"])
def test_callback_without_a_state_of_ours_is_refused(auth_server, oidc, query):
    session = requests.Session()
    go(session, f"{auth_server.url}/login/corp")  # a real round trip is pending; this is not it
    refused = go(session, f"{auth_server.url}/login/corp/callback{query}")
    assert refused.status_code == 400
    assert oidc.token_requests == [] and users(auth_server.app) == []


def test_state_is_single_use(auth_server, oidc):
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "corp")
    replay = go(session, trip.callback.url)
    assert replay.status_code == 400 and len(oidc.token_requests) == 1


def test_state_of_another_provider_is_refused(auth_server, oidc, github):
    session = requests.Session()
    start = go(session, f"{auth_server.url}/login/corp")
    upstream = go(session, start.headers["Location"])
    query = urlsplit(upstream.headers["Location"]).query
    refused = go(session, f"{auth_server.url}/login/github/callback?{query}")
    assert refused.status_code == 400 and github.token_requests == []


@pytest.mark.parametrize("misbehave", ["bad_signature", "wrong_aud", "wrong_iss", "wrong_nonce", "expired"])
def test_bad_id_token_is_refused(auth_server, oidc, misbehave):
    oidc.misbehave = misbehave
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp", next_url=AUTHORIZE)
    assert trip.callback.status_code == 400
    assert "failed our security checks" in trip.callback.text
    assert f'href="{AUTHORIZE.replace("&", "&amp;")}"' in trip.callback.text
    assert users(auth_server.app) == []
    assert failures(auth_server.app) == ["invalid_id_token"]
    with auth_server.app.app_context():
        assert db_session().scalar(select(func.count()).select_from(UpstreamIdentity)) == 0


def test_next_must_be_a_path_on_this_server(auth_server, oidc):
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "corp", next_url="https://evil.example/steal")
    assert trip.callback.status_code == 303
    assert not trip.landed.startswith(("http", "//"))
    assert parse_qs(urlsplit(trip.start.headers["Location"]).query)["client_id"] == ["our-client"]


def test_missing_id_token_is_refused(auth_server, oidc):
    oidc.misbehave = "no_id_token"
    trip = upstream_round_trip(requests.Session(), auth_server.url, "corp")
    assert trip.callback.status_code == 400 and users(auth_server.app) == []
    assert failures(auth_server.app) == ["invalid_id_token"]


def test_discovery_document_for_another_issuer_is_refused(auth_server, oidc):
    """OpenID Connect Discovery 1.0 §4.3: the document's issuer must be the issuer we asked."""
    oidc.misbehave = "discovery_issuer"
    page = go(requests.Session(), f"{auth_server.url}/login/corp")
    assert page.status_code == 502 and oidc.authorize_requests == []
    assert failures(auth_server.app) == ["upstream_error"]


def test_google_accepts_its_documented_scheme_less_issuer():
    from authserver.federation.google import GoogleType
    from authserver.federation.oidc import OidcType

    metadata = {"issuer": "https://accounts.google.com"}
    assert GoogleType().issuer_values(metadata) == ["https://accounts.google.com", "accounts.google.com"]
    assert OidcType().issuer_values(metadata) == ["https://accounts.google.com"]


def test_google_scheme_less_issuer_is_accepted_only_from_a_google_upstream(auth_server, oidc):
    auth_server.add_upstream(name="google", type_="google", issuer=oidc.url)
    oidc.redirect_uris.append(f"{auth_server.url}/login/google/callback")
    oidc.misbehave = "google_iss"
    assert upstream_round_trip(requests.Session(), auth_server.url, "google").callback.status_code == 303
    assert upstream_round_trip(requests.Session(), auth_server.url, "corp").callback.status_code == 400
    assert failures(auth_server.app) == ["invalid_id_token"]


def test_many_abandoned_round_trips_keep_the_cookie_small(auth_server, oidc):
    session = requests.Session()
    starts = [go(session, f"{auth_server.url}/login/corp") for _ in range(8)]
    assert len(session.cookies.get("authserver_session")) < 3000
    oldest, newest = (go(session, s.headers["Location"]).headers["Location"] for s in (starts[0], starts[-1]))
    assert go(session, oldest).status_code == 400
    assert go(session, newest).status_code == 303


def test_round_trips_with_long_next_paths_keep_the_cookie_under_4_kb(auth_server, oidc):
    session = requests.Session()
    paths = ["/account/apps?x=" + secrets.token_urlsafe(1500)[:1980] for _ in range(4)]
    starts = [go(session, f"{auth_server.url}/login/corp?next={quote(path, safe='')}") for path in paths]
    assert [start.status_code for start in starts] == [302] * 4
    assert len(session.cookies.get("authserver_session")) < 4000
    newest = go(session, starts[-1].headers["Location"]).headers["Location"]
    assert go(session, newest).headers["Location"] == paths[-1]


def test_id_tokens_of_an_upstream_sign_in_say_fed_and_what_the_upstream_reported(auth_server, oidc, github):
    """RFC 8176: ``fed``, then the upstream's own registered ``amr`` values (an unregistered one is dropped)."""
    live = LiveAuth(auth_server.url, auth_server.app)
    client = live.client()
    oidc.user["amr"] = ["pwd", "mfa", "otp", "made-up"]
    github.emails[1]["email"] = "ada@github.example"  # another person than the OIDC upstream's
    for name, expected in (("corp", ["fed", "pwd", "mfa", "otp"]), ("github", ["fed"])):
        browser = live.browser()
        assert upstream_round_trip(browser.http, auth_server.url, name).callback.status_code == 303
        code, verifier = browser.authorization_code(client)
        tokens = exchange_code(live, client, code, verifier).json()
        claims = verified_id_token(live, tokens["id_token"], client).claims
        assert (claims["amr"], claims["acr"]) == (expected, "1"), name
