"""Token revocation (RFC 7009)."""

from __future__ import annotations

import requests

from tests.support.oauth import introspect
from tests.support.oauth import refresh


def _revoke(live_auth, client, token, **extra):
    data = {"token": token, **extra}
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    if auth is None:
        data["client_id"] = client.client_id
    return requests.post(live_auth.url + "/oauth/revoke", data=data, auth=auth, timeout=5)


def _family(live_auth, client):
    first = live_auth.user_tokens(client)
    second = refresh(live_auth, client, first["refresh_token"]).json()
    return first, second


def test_revoking_a_refresh_token_revokes_its_whole_family(live_auth):
    client = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    first, second = _family(live_auth, client)
    response = _revoke(live_auth, client, second["refresh_token"], token_type_hint="refresh_token")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    for token in (first["access_token"], second["access_token"], second["refresh_token"]):
        assert introspect(live_auth, resource, token).json() == {"active": False}
    assert refresh(live_auth, client, second["refresh_token"]).json()["error"] == "invalid_grant"


def test_revoking_an_access_token_with_a_wrong_hint_still_works(live_auth):
    client = live_auth.client(auth_method="none")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    first, second = _family(live_auth, client)
    assert _revoke(live_auth, client, second["access_token"], token_type_hint="refresh_token").status_code == 200
    assert introspect(live_auth, resource, second["access_token"]).json() == {"active": False}
    # Other members of the family are untouched by revoking one access token.
    assert introspect(live_auth, resource, first["access_token"]).json()["active"] is True


def test_unknown_token_is_200_and_another_clients_token_is_refused(live_auth):
    client = live_auth.client()
    other = live_auth.client()
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    assert _revoke(live_auth, client, "no-such-token").status_code == 200
    _first, second = _family(live_auth, client)
    response = _revoke(live_auth, other, second["access_token"])
    assert response.status_code == 400
    assert introspect(live_auth, resource, second["access_token"]).json()["active"] is True


def test_revocation_requires_client_authentication(live_auth):
    client = live_auth.client()
    response = requests.post(
        live_auth.url + "/oauth/revoke", data={"token": "x"}, auth=(client.client_id, "bad"), timeout=5
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
    response = requests.post(live_auth.url + "/oauth/revoke", data={"token": "x"}, timeout=5)
    assert response.status_code == 401 and response.json() == {
        "error": "invalid_client",
        "error_description": "client authentication failed",
    }
    assert _revoke(live_auth, client, "x", token_type_hint="id_token").json()["error"] == "unsupported_token_type"
