"""RFC 7592: a client that registered itself reads, replaces and deletes its registration with its
registration access token, which each update replaces."""

from __future__ import annotations

import pytest

from tests.registration.conftest import CALLBACK

METADATA = {"client_name": "Notes", "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"}


@pytest.fixture
def registered(registrar):
    body = registrar.register(METADATA, registrar.token()).json
    return body


def _call(registrar, method: str, body: dict, token: str | None, json=None, client_id: str | None = None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = f"/oauth/register/{client_id or body['client_id']}"
    return registrar.http.open(path, method=method, headers=headers, json=json)


def test_the_registration_names_where_and_with_what_it_is_managed(registrar, registered):
    assert registered["registration_client_uri"] == f"http://127.0.0.1:5000/oauth/register/{registered['client_id']}"
    assert len(registered["registration_access_token"]) >= 43


def test_read_returns_the_registration_without_any_secret(registrar, registered):
    response = _call(registrar, "GET", registered, registered["registration_access_token"])
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == registered


def test_read_of_a_confidential_client_never_shows_its_secret_again(registrar):
    body = registrar.register({**METADATA, "token_endpoint_auth_method": "client_secret_basic"}, registrar.token()).json
    read = _call(registrar, "GET", body, body["registration_access_token"]).json
    assert "client_secret" not in read and read["client_secret_expires_at"] == 0


@pytest.mark.parametrize("token", [None, "wrong", "Basic"])
def test_without_the_right_token_nothing_is_shown(registrar, registered, token):
    response = _call(registrar, "GET", registered, token)
    assert response.status_code == 401 and response.json["error"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_one_clients_token_does_not_manage_another(registrar, registered):
    other = registrar.register(METADATA, registrar.token()).json
    response = _call(registrar, "GET", other, registered["registration_access_token"])
    assert response.status_code == 401


def test_update_replaces_the_metadata_and_rotates_the_token(registrar, registered):
    registrar.scope("chat:create")
    old_token = registered["registration_access_token"]
    update = {
        **METADATA,
        "client_id": registered["client_id"],
        "client_name": "Notes 2",
        "redirect_uris": [CALLBACK, "https://notes.example/cb"],
        "scope": "openid chat:create",
    }
    response = _call(registrar, "PUT", registered, old_token, json=update)
    assert response.status_code == 200, response.json
    body = response.json
    assert body["client_name"] == "Notes 2" and body["scope"] == "openid chat:create"
    assert body["redirect_uris"] == [CALLBACK, "https://notes.example/cb"]
    assert body["registration_access_token"] != old_token
    assert _call(registrar, "GET", registered, old_token).status_code == 401
    assert _call(registrar, "GET", registered, body["registration_access_token"]).json["client_name"] == "Notes 2"


def test_update_to_a_confidential_client_issues_its_secret_once(registrar, registered):
    update = {**METADATA, "client_id": registered["client_id"], "token_endpoint_auth_method": "client_secret_post"}
    body = _call(registrar, "PUT", registered, registered["registration_access_token"], json=update).json
    assert body["client_secret"] and body["token_endpoint_auth_method"] == "client_secret_post"
    again = {**update, "client_secret": body["client_secret"]}
    second = _call(registrar, "PUT", registered, body["registration_access_token"], json=again).json
    assert "client_secret" not in second


@pytest.mark.parametrize(
    "change, error",
    [
        ({"redirect_uris": ["http://notes.example/cb"]}, "invalid_redirect_uri"),
        ({"scope": "nope"}, "invalid_client_metadata"),
        ({"client_id": "another"}, "invalid_request"),
        ({"client_id": None}, "invalid_request"),
        ({"registration_access_token": "x"}, "invalid_request"),
        ({"client_secret": "not-it"}, "invalid_request"),
    ],
)
def test_an_invalid_update_changes_nothing_and_keeps_the_token(registrar, registered, change, error):
    update = {**METADATA, "client_id": registered["client_id"], **change}
    response = _call(registrar, "PUT", registered, registered["registration_access_token"], json=update)
    assert response.status_code == 400 and response.json["error"] == error
    assert _call(registrar, "GET", registered, registered["registration_access_token"]).json == registered


def test_an_openly_registered_client_stays_public(open_registrar):
    body = open_registrar.register(METADATA).json
    update = {**METADATA, "client_id": body["client_id"], "token_endpoint_auth_method": "client_secret_basic"}
    response = _call(open_registrar, "PUT", body, body["registration_access_token"], json=update)
    assert response.status_code == 400 and response.json["error"] == "invalid_client_metadata"


def test_delete_removes_the_client_and_its_token(registrar, registered):
    token = registered["registration_access_token"]
    response = _call(registrar, "DELETE", registered, token)
    assert response.status_code == 204
    assert _call(registrar, "GET", registered, token).status_code == 401
    assert _call(registrar, "DELETE", registered, token).status_code == 401
