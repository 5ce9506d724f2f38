"""RFC 6749 §5.2 error responses: JSON, the right status, no-store, and never a 500 for bad input."""

from __future__ import annotations

import pytest
import requests

from tests.support.oauth import authorization_params


@pytest.fixture
def endpoints(live_auth):
    client = live_auth.client()
    return live_auth, client


MALFORMED = [
    ("/oauth/token", {}, None, {}),
    ("/oauth/token", {"grant_type": "password", "username": "a", "password": "b"}, None, {}),
    ("/oauth/token", {"grant_type": "authorization_code"}, "client", {}),
    ("/oauth/token", {"grant_type": "authorization_code", "code": "x" * 5000}, "client", {}),
    ("/oauth/token", {"grant_type": "refresh_token"}, "client", {}),
    ("/oauth/token", {"grant_type": "refresh_token", "refresh_token": "\x00\xff"}, "client", {}),
    ("/oauth/token", {"grant_type": "client_credentials"}, None, {"Authorization": "Basic !!!notbase64"}),
    ("/oauth/token", {"grant_type": "client_credentials"}, None, {"Authorization": "Basic /w=="}),
    ("/oauth/token", {"grant_type": "client_credentials"}, None, {"Authorization": "Basic"}),
    ("/oauth/token", {"grant_type": "client_credentials", "client_id": "x" * 10000, "client_secret": "y"}, None, {}),
    ("/oauth/token", {"grant_type": ["client_credentials", "refresh_token"]}, "client", {}),
    ("/oauth/revoke", {}, "client", {}),
    ("/oauth/introspect", {"token": "x"}, None, {}),
    ("/oauth/userinfo", {}, None, {"Authorization": "Bearer"}),
    ("/oauth/userinfo", {}, None, {"Authorization": "Basic abc"}),
]


@pytest.mark.parametrize("path, data, auth, headers", MALFORMED)
def test_malformed_requests_get_an_oauth_error_not_a_500(endpoints, path, data, auth, headers):
    live_auth, client = endpoints
    credentials = (client.client_id, client.client_secret) if auth == "client" else None
    response = requests.post(live_auth.url + path, data=data, auth=credentials, headers=headers, timeout=5)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body["error"], str)
    assert response.headers["Cache-Control"] == "no-store"


def test_unsupported_grant_type_and_json_bodies(endpoints):
    live_auth, client = endpoints
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "urn:nope"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    response = requests.post(live_auth.token_endpoint, json={"grant_type": "client_credentials"}, timeout=5)
    assert response.status_code == 400 and "error" in response.json()
    assert requests.get(live_auth.token_endpoint, timeout=5).status_code == 405


def test_a_token_request_without_grant_type_is_invalid_request_rfc6749_5_2(endpoints):
    live_auth, client = endpoints
    for form in ({}, {"grant_type": ""}, {"scope": "openid"}):
        response = requests.post(
            live_auth.token_endpoint, data=form, auth=(client.client_id, client.client_secret), timeout=5
        )
        assert response.status_code == 400
        assert response.json() == {
            "error": "invalid_request",
            "error_description": "The 'grant_type' parameter is missing.",
        }
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "response_type=code",
        "client_id=%00%ff&response_type=code",
        "response_type=code&client_id=a&client_id=b",
        "response_type=code&max_age=abc",
    ],
)
def test_malformed_authorization_requests_get_a_page_not_a_500(endpoints, query):
    live_auth, _client = endpoints
    response = requests.get(live_auth.authorize_endpoint + "?" + query, allow_redirects=False, timeout=5)
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_bad_oidc_parameters_go_back_to_the_client(endpoints):
    live_auth, client = endpoints
    base = authorization_params(client, state="s")
    cases = [
        ({"prompt": "none login"}, "invalid_request"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"scope": "openid", "nonce": "a\x00b"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://app.example/r"}, "request_uri_not_supported"),
        ({"response_mode": "form_post"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ]
    for extra, error in cases:
        response = requests.get(
            live_auth.authorize_endpoint, params={**base, **extra}, allow_redirects=False, timeout=5
        )
        assert response.status_code == 302
        assert f"error={error}" in response.headers["Location"]


def test_max_age_is_read_as_ascii_digits_of_any_length_when_signed_in(endpoints):
    live_auth, client = endpoints
    browser = live_auth.browser()
    browser.sign_in(live_auth.user())
    base = authorization_params(client)
    superscript = browser.http.get(
        live_auth.authorize_endpoint, params={**base, "max_age": "\u00b2"}, allow_redirects=False, timeout=5
    )
    assert superscript.status_code == 302 and "error=invalid_request" in superscript.headers["Location"]
    endless = browser.http.get(
        live_auth.authorize_endpoint, params={**base, "max_age": "9" * 5000}, allow_redirects=False, timeout=5
    )
    assert endless.status_code == 200 and "Location" not in endless.headers
    # Leading zeros do not make zero unlimited: it asks for a fresh sign-in, as "0" does.
    padded = browser.http.get(
        live_auth.authorize_endpoint, params={**base, "max_age": "0" * 13}, allow_redirects=False, timeout=5
    )
    assert padded.status_code == 302 and padded.headers["Location"].startswith("/login?")
