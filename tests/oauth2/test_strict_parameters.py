"""Strict parameters at every endpoint that reads them (RFC 6749 §3.1, §2.3.1, §3.3; RFC 6750 §2)."""

from __future__ import annotations

from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests

from authserver.oauth2.strict import STRICT_ENDPOINTS
from authserver.oauth2.strict import check_request
from tests.support.oauth import STATE
from tests.support.oauth import authorization_params
from tests.support.oauth import query_of

# Metadata members naming an endpoint that reads request parameters (all but jwks_uri).
PARAMETER_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "revocation_endpoint",
    "introspection_endpoint",
    "end_session_endpoint",
    "registration_endpoint",
    "device_authorization_endpoint",
    "pushed_authorization_request_endpoint",
)


@pytest.fixture
def server(live_auth):
    live_auth.scope("models:read")
    return live_auth, live_auth.client(
        scope="openid email models:read", grant_types=["authorization_code", "refresh_token", "client_credentials"]
    )


def _refused(response, error: str = "invalid_request", naming: str | None = None) -> dict:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == error, body
    if naming:
        assert f"'{naming}'" in body["error_description"], body
    assert response.headers["Cache-Control"] == "no-store"
    return body


def test_every_endpoint_in_the_metadata_that_reads_parameters_opts_in(live_auth):
    """A new endpoint published in the metadata without a line in STRICT_ENDPOINTS fails here."""
    metadata = live_auth.metadata()
    adapter = live_auth.app.url_map.bind("127.0.0.1")
    published = [metadata[name] for name in PARAMETER_ENDPOINTS if name in metadata]
    assert len(published) >= 6
    for url in published:
        for method in ("GET", "POST"):
            try:
                endpoint, _args = adapter.match(urlsplit(url).path, method=method)
            except Exception:  # noqa: BLE001 - the method is not offered there
                continue
            assert endpoint in STRICT_ENDPOINTS, url
    assert set(STRICT_ENDPOINTS) <= set(live_auth.app.view_functions)


@pytest.mark.parametrize("name", ["grant_type", "scope", "client_id"])
def test_a_token_request_repeating_a_parameter_is_invalid_request(server, name):
    live_auth, client = server
    form = [
        ("grant_type", "client_credentials"),
        ("client_id", client.client_id),
        ("client_secret", client.client_secret),
    ]
    values = {"grant_type": "client_credentials", "scope": "openid", "client_id": client.client_id}
    form += [(name, values[name])] if name != "scope" else [("scope", "openid"), ("scope", "email")]
    response = requests.post(live_auth.token_endpoint, data=form, timeout=5)
    _refused(response, naming=name)


def test_a_parameter_in_both_the_query_and_the_body_counts_twice(server):
    live_auth, client = server
    response = requests.post(
        live_auth.token_endpoint + "?grant_type=client_credentials",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
        timeout=5,
    )
    _refused(response, naming="grant_type")


@pytest.mark.parametrize("path", ["/oauth/introspect", "/oauth/revoke"])
def test_introspection_and_revocation_refuse_a_repeated_token(live_auth, path):
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)
    response = requests.post(
        live_auth.url + path,
        data=[("token", "a"), ("token", "b")],
        auth=(resource_server.client_id, resource_server.client_secret),
        timeout=5,
    )
    _refused(response, naming="token")


def test_a_client_authenticating_two_ways_at_once_is_refused_rfc6749_2_3_1(server):
    live_auth, client = server
    both = requests.post(
        live_auth.token_endpoint,
        auth=(client.client_id, client.client_secret),
        data={"grant_type": "client_credentials", "client_secret": client.client_secret},
        timeout=5,
    )
    assert "more than one way" in _refused(both)["error_description"]
    assertion_and_secret = requests.post(
        live_auth.token_endpoint,
        data={
            "grant_type": "client_credentials",
            "client_id": client.client_id,
            "client_secret": client.client_secret,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": "x.y.z",
        },
        timeout=5,
    )
    _refused(assertion_and_secret)
    # One way is still fine.
    one = requests.post(
        live_auth.token_endpoint,
        auth=(client.client_id, client.client_secret),
        data={"grant_type": "client_credentials"},
        timeout=5,
    )
    assert one.status_code == 200, one.text


@pytest.mark.parametrize("scope", ["openid\x01", "openid  email", " openid", "openid ", 'say"hi"', "a\\b", "caf\u00e9"])
def test_a_scope_outside_the_scope_token_syntax_is_invalid_scope_rfc6749_3_3(server, scope):
    live_auth, client = server
    response = requests.post(
        live_auth.token_endpoint,
        auth=(client.client_id, client.client_secret),
        data={"grant_type": "client_credentials", "scope": scope},
        timeout=5,
    )
    _refused(response, error="invalid_scope")


def test_an_authorization_request_repeating_a_parameter_goes_back_to_a_valid_redirect_uri(server):
    live_auth, client = server
    params = list(authorization_params(client).items()) + [("scope", "email")]
    response = requests.get(live_auth.authorize_endpoint + "?" + urlencode(params), allow_redirects=False, timeout=5)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(client.redirect_uri + "?")
    callback = query_of(response.headers["Location"])
    assert callback["error"] == "invalid_request" and "'scope'" in callback["error_description"]
    assert callback["state"] == STATE and callback["iss"] == live_auth.url
    bad_scope = {**authorization_params(client), "scope": "openid\x7f"}
    response = requests.get(live_auth.authorize_endpoint + "?" + urlencode(bad_scope), allow_redirects=False, timeout=5)
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"


@pytest.mark.parametrize(
    "extra",
    [
        [("client_id", "again")],
        [("redirect_uri", "http://127.0.0.1:8765/callback")],
        [("scope", "email"), ("redirect_uri", "https://attacker.example/cb")],
    ],
)
def test_an_authorization_request_without_one_valid_client_and_redirect_uri_is_shown_to_the_person(server, extra):
    """RFC 6749 §4.1.2.1: never redirect to a URI that is not the client's, or not clearly one."""
    live_auth, client = server
    params = authorization_params(client)
    if extra[-1][0] == "redirect_uri" and len(extra) > 1:
        params.pop("redirect_uri")
    query = urlencode(list(params.items()) + extra)
    response = requests.get(live_auth.authorize_endpoint + "?" + query, allow_redirects=False, timeout=5)
    assert response.status_code == 400 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html")
    assert "more than once" in response.text or "once" in response.text


def test_userinfo_refuses_a_token_sent_two_ways_rfc6750_2(server):
    live_auth, client = server
    response = requests.get(
        live_auth.url + "/oauth/userinfo?access_token=x", headers={"Authorization": "Bearer x"}, timeout=5
    )
    _refused(response)
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_request"'
    repeated = requests.post(
        live_auth.url + "/oauth/userinfo", data=[("access_token", "x"), ("access_token", "y")], timeout=5
    )
    _refused(repeated, naming="access_token")


def test_the_end_session_endpoint_refuses_a_repeated_parameter_with_a_page(live_auth):
    response = requests.get(live_auth.url + "/logout?state=a&state=b", timeout=5)
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/html")
    assert "&#39;state&#39;" in response.text or "'state'" in response.text


def test_resource_and_audience_may_be_repeated_rfc8707_2(auth_app):
    for kind in set(STRICT_ENDPOINTS.values()):
        with auth_app.test_request_context(
            "/?resource=https://a.example&resource=https://b.example&audience=x", method="POST", data={"audience": "y"}
        ):
            check_request(kind)


def test_a_repeated_parameter_whose_name_cannot_be_quoted_is_still_a_clean_error(server):
    live_auth, client = server
    response = requests.post(
        live_auth.token_endpoint,
        auth=(client.client_id, client.client_secret),
        data=[("grant_type", "client_credentials"), ('"caf\u00e9', "1"), ('"caf\u00e9', "2")],
        timeout=5,
    )
    assert "same parameter" in _refused(response)["error_description"]


def test_a_registration_naming_a_member_twice_is_invalid_request(live_auth):
    body = '{"client_name": "a", "redirect_uris": ["https://a.example/cb"], "client_name": "b"}'
    response = requests.post(
        live_auth.url + "/oauth/register",
        data=body,
        timeout=5,
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    _refused(response, naming="client_name")


def test_the_device_authorization_endpoint_refuses_a_repeated_parameter(server):
    live_auth, client = server
    response = requests.post(
        live_auth.url + "/oauth/device_authorization",
        auth=(client.client_id, client.client_secret),
        data=[("scope", "openid"), ("scope", "email")],
        timeout=5,
    )
    _refused(response, naming="scope")
