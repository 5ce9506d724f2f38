"""Sign-in through a GitHub-shaped upstream: OAuth 2 with PKCE, the user and emails APIs."""

from html import unescape

import requests

from tests.federation.conftest import signed_in_email
from tests.federation.conftest import upstream_round_trip
from tests.federation.conftest import users
from tests.support.fake_upstreams import s256


def test_round_trip_with_state_and_pkce_takes_the_verified_primary_email(auth_server, github):
    session = requests.Session()
    trip = upstream_round_trip(session, auth_server.url, "github", next_url="/account/apps")
    sent = github.authorize_requests[0]
    assert sent["scope"] == "read:user user:email" and "nonce" not in sent
    assert len(sent["state"]) >= 30 and sent["code_challenge_method"] == "S256"
    exchanged = github.token_requests[0]
    assert exchanged["auth_method"] == "client_secret_post"
    assert s256(exchanged["code_verifier"]) == sent["code_challenge"]
    assert trip.landed == "/account/apps"
    assert [(email, verified) for email, _sub, verified in users(auth_server.app)] == [("ada@example.com", True)]
    assert signed_in_email(session, auth_server.url) == "ada@example.com"


def test_unverified_primary_email_is_not_marked_verified(auth_server, github):
    github.emails = [{"email": "ada@example.com", "primary": True, "verified": False}]
    upstream_round_trip(requests.Session(), auth_server.url, "github")
    assert [(email, verified) for email, _sub, verified in users(auth_server.app)] == [("ada@example.com", False)]


def test_no_email_at_all_is_explained(auth_server, github):
    github.emails = []
    trip = upstream_round_trip(requests.Session(), auth_server.url, "github")
    assert trip.callback.status_code == 400 and "didn't share an email address" in unescape(trip.callback.text)
    assert users(auth_server.app) == []
