"""Browser-based public clients (a SPA on another origin) can reach the cookie-free endpoints."""

from __future__ import annotations

import requests

ORIGIN = {"Origin": "https://spa.example"}


def test_token_endpoint_preflight_and_response_allow_any_origin(live_auth):
    preflight = requests.options(
        live_auth.token_endpoint,
        headers={**ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        timeout=5,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    response = requests.post(live_auth.token_endpoint, data={"grant_type": "x"}, headers=ORIGIN, timeout=5)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers
    for path in ("/oauth/jwks", "/.well-known/openid-configuration"):
        assert (
            requests.get(live_auth.url + path, headers=ORIGIN, timeout=5).headers["Access-Control-Allow-Origin"] == "*"
        )


def test_pages_and_introspection_are_not_opened_to_other_origins(live_auth):
    for method, path in (("GET", "/oauth/authorize"), ("POST", "/oauth/introspect")):
        response = requests.request(method, live_auth.url + path, headers=ORIGIN, timeout=5)
        assert "Access-Control-Allow-Origin" not in response.headers, path


def test_a_browser_client_may_register_and_manage_its_registration(live_auth):
    """RFC 7591 and 7592 from a SPA's origin: the preflights allow the methods each path answers."""
    register = live_auth.url + "/oauth/register"
    preflight = requests.options(register, headers={**ORIGIN, "Access-Control-Request-Method": "POST"}, timeout=5)
    assert (
        preflight.headers["Access-Control-Allow-Origin"] == "*"
        and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    )
    refused = requests.post(register, json={}, headers=ORIGIN, timeout=5)
    assert refused.status_code == 401 and refused.headers["Access-Control-Allow-Origin"] == "*"
    manage = requests.options(
        register + "/some-client", timeout=5, headers={**ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert manage.headers["Access-Control-Allow-Origin"] == "*"
    assert set(manage.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "PUT", "DELETE"}
