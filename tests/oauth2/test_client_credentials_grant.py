"""Client credentials (RFC 6749 §4.4): confidential clients only, scope within the registration."""

from __future__ import annotations

import time

import requests
from oauthlib.oauth2 import BackendApplicationClient
from requests_oauthlib import OAuth2Session

from authserver.clients.rotation import rotate_secret
from authserver.clients.services import disable_client
from authserver.clients.services import get_client
from tests.support.oauth import introspect
from tests.support.oauth import token_request


def _token(live_auth, client, **data):
    return token_request(live_auth, client, {"grant_type": "client_credentials", **data})


def test_requests_oauthlib_backend_client_gets_a_token_whose_sub_is_the_client(live_auth, monkeypatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    live_auth.scope("models:read", "List the models")
    client = live_auth.client(redirect_uri=None, scope="models:read")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    session = OAuth2Session(client=BackendApplicationClient(client_id=client.client_id))
    token = session.fetch_token(
        live_auth.token_endpoint, client_id=client.client_id, client_secret=client.client_secret
    )
    assert "refresh_token" not in token
    assert token["scope"] == ["models:read"]
    info = introspect(live_auth, resource, token["access_token"]).json()
    assert info["active"] is True
    assert info["sub"] == client.client_id == info["client_id"]
    assert info["scope"] == "models:read"


def test_client_secret_post_works_and_no_scope_means_the_default_scopes(live_auth):
    live_auth.scope("models:read")
    live_auth.scope("chat:create")
    client = live_auth.client(redirect_uri=None, scope="models:read chat:create", auth_method="client_secret_post")
    response = requests.post(
        live_auth.token_endpoint,
        data={"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.json()["scope"] == "models:read chat:create"
    # Registered for post: Basic is not accepted.
    assert _token(live_auth, client).status_code == 401


def test_scope_outside_the_registration_is_invalid_scope(live_auth):
    live_auth.scope("models:read")
    live_auth.scope("chat:create")
    client = live_auth.client(redirect_uri=None, scope="models:read")
    for scope in ("chat:create", "models:read chat:create", "openid", "nonexistent"):
        response = _token(live_auth, client, scope=scope)
        assert response.status_code == 400 and response.json()["error"] == "invalid_scope", scope


def test_wrong_secret_is_401_invalid_client_with_www_authenticate(live_auth):
    client = live_auth.client(redirect_uri=None)
    for auth in ((client.client_id, "wrong"), ("unknown-client", "x")):
        response = requests.post(
            live_auth.token_endpoint, data={"grant_type": "client_credentials"}, auth=auth, timeout=5
        )
        assert response.status_code == 401
        # One answer whatever failed: it names no client and lists no authentication methods.
        assert response.json() == {"error": "invalid_client", "error_description": "client authentication failed"}
        assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_public_client_cannot_use_client_credentials(live_auth):
    client = live_auth.client(auth_method="none")
    response = requests.post(
        live_auth.token_endpoint, data={"grant_type": "client_credentials", "client_id": client.client_id}, timeout=5
    )
    assert response.status_code == 401 and response.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }


def test_client_without_the_grant_is_unauthorized_client(live_auth):
    client = live_auth.client()  # authorization_code + refresh_token
    response = _token(live_auth, client)
    assert response.status_code == 400 and response.json()["error"] == "unauthorized_client"


def test_disabling_a_client_or_rotating_its_secret_takes_effect_within_a_second(live_auth):
    client = live_auth.client(redirect_uri=None)
    assert _token(live_auth, client).status_code == 200
    new_secret = live_auth.run(lambda: rotate_secret(get_client(client.client_id)).client_secret)
    time.sleep(1.05)
    assert _token(live_auth, client).status_code == 401
    rotated = type(client)(client.client_id, new_secret, None, client.pk)
    assert _token(live_auth, rotated).status_code == 200
    live_auth.run(disable_client, client.client_id)
    time.sleep(1.05)
    assert _token(live_auth, rotated).status_code == 401
