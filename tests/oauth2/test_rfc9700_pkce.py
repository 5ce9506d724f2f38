"""RFC 9700 §2.1.1 / §4.8: PKCE with S256 — required of every client unless an admin lets a confidential
one off, `plain` refused, verifier checked."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.oauth import exchange_code
from tests.support.oauth import pkce_pair
from tests.support.oauth import query_of


def _authorize(live_auth, client, **pkce):
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    params = {
        "response_type": "code",
        "client_id": client.client_id,
        "redirect_uri": client.redirect_uri,
        "scope": "openid",
        "state": "s",
        **pkce,
    }
    return browser, browser.authorize(params)


@pytest.mark.parametrize(
    "pkce",
    [
        {},
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},
        {"code_challenge_method": "S256"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
    ],
    ids=["missing", "plain", "method-absent-means-plain", "no-challenge", "malformed"],
)
@pytest.mark.parametrize("auth_method", ["none", "client_secret_basic", "private_key_jwt"])
def test_a_client_without_a_valid_s256_challenge_is_refused(live_auth, pkce, auth_method):
    client = live_auth.client(auth_method=auth_method, jwks={"keys": []} if auth_method == "private_key_jwt" else None)
    _browser, response = _authorize(live_auth, client, **pkce)
    params = query_of(response.headers["Location"])
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_a_confidential_client_let_off_may_skip_pkce_but_never_use_plain(live_auth):
    client = live_auth.client(pkce="optional")
    _browser, response = _authorize(live_auth, client)
    code = query_of(response.headers["Location"])["code"]
    assert exchange_code(live_auth, client, code, None).status_code == 200
    _browser, response = _authorize(live_auth, client, code_challenge="x" * 43, code_challenge_method="plain")
    assert query_of(response.headers["Location"])["error"] == "invalid_request"


def test_wrong_or_missing_verifier_is_refused(live_auth):
    client = live_auth.client(auth_method="none")
    verifier, challenge = pkce_pair()
    browser, response = _authorize(live_auth, client, code_challenge=challenge, code_challenge_method="S256")
    code = query_of(response.headers["Location"])["code"]
    assert exchange_code(live_auth, client, code, pkce_pair()[0]).json() == {
        "error": "invalid_grant",
        "error_description": "the PKCE code_verifier does not match the code_challenge of the authorization request",
    }
    assert exchange_code(live_auth, client, code, None).json()["error"] == "invalid_request"
    # Failed attempts did not burn the code.
    assert exchange_code(live_auth, client, code, verifier).status_code == 200


def test_verifier_without_a_challenge_is_refused(live_auth):
    """RFC 9700 §4.8.2: a code_verifier for a code issued without a challenge is a downgrade attempt."""
    client = live_auth.client(pkce="optional")
    _browser, response = _authorize(live_auth, client)
    code = query_of(response.headers["Location"])["code"]
    response = exchange_code(live_auth, client, code, pkce_pair()[0])
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_public_client_cannot_pretend_to_be_confidential(live_auth):
    confidential = live_auth.client(pkce="optional")
    _browser, response = _authorize(live_auth, confidential)
    code = query_of(response.headers["Location"])["code"]
    response = requests.post(
        live_auth.token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": confidential.redirect_uri,
            "client_id": confidential.client_id,
        },
        timeout=5,
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_the_policy_is_the_clients_own_and_a_public_client_cannot_be_let_off(live_auth):
    from authserver.clients.services import set_pkce
    from authserver.errors import InvalidInput

    public = live_auth.client(auth_method="none")
    with pytest.raises(InvalidInput):
        live_auth.client(auth_method="none", pkce="optional")
    with pytest.raises(InvalidInput):
        live_auth.run(set_pkce, public.client_id, "optional")
    legacy = live_auth.client(pkce="optional")
    live_auth.run(set_pkce, legacy.client_id, "required")
    time.sleep(live_auth.app.extensions["authserver.config"].lookup_cache_ttl + 0.1)
    _browser, response = _authorize(live_auth, legacy)
    assert query_of(response.headers["Location"])["error"] == "invalid_request"
