"""Redirect URIs: https and exact, or http loopback on any port (RFC 8252 §7.3, RFC 9700 §4.1.3)."""

from __future__ import annotations

import pytest

from authserver.clients.redirects import redirect_uri_matches
from authserver.clients.redirects import validate_redirect_uri
from authserver.errors import InvalidInput
from tests.support.oauth import authorization_params

REGISTERED = ["http://127.0.0.1:8765/callback", "http://[::1]/callback"]

# Each names another host (or none a browser could reach) behind a loopback-looking prefix.
NOT_LOOPBACK = [
    "http://127.0.0.1:1@evil.example/callback",
    "http://127.0.0.1@evil.example/callback",
    "http://[::1]:80@evil.example/callback",
    "http://127.0.0.1:8765/callback@evil.example",
    "http://127.0.0.1:abc/callback",
    "http://[::1/callback",
]


@pytest.mark.parametrize(
    "candidate", ["http://127.0.0.1:9999/callback", "http://127.0.0.1/callback", "http://[::1]:9999/callback"]
)
def test_loopback_matches_on_any_port(candidate):
    assert redirect_uri_matches(REGISTERED, candidate)


@pytest.mark.parametrize(
    "candidate",
    [
        *NOT_LOOPBACK,
        "http://localhost:8765/callback",
        "http://127.0.0.1:8765/other",
        "https://127.0.0.1:8765/callback",
        "http://127.0.0.1:9999/callback#frag",
        "http://127.0.0.1:9999/callback#",
    ],
)
def test_anything_else_must_match_exactly(candidate):
    assert not redirect_uri_matches(REGISTERED, candidate)


@pytest.mark.parametrize("uri", [uri for uri in NOT_LOOPBACK if "/callback@" not in uri])
def test_userinfo_or_a_bad_port_is_not_a_loopback_registration(uri):
    with pytest.raises(InvalidInput, match="must use https|not a valid URL|user name or password"):
        validate_redirect_uri(uri)


def test_a_loopback_lookalike_never_receives_a_code(live_auth):
    client = live_auth.client()
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    for redirect_uri in NOT_LOOPBACK:
        response = browser.authorize(authorization_params(client, redirect_uri=redirect_uri))
        assert response.status_code == 400, redirect_uri
        assert "Location" not in response.headers
