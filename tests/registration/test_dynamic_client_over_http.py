"""Clients that know only the server's metadata register themselves and get real tokens, driven by an
independent OAuth client library (Authlib's client side, as a third-party app would use it)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from authserver.registration.services import create_initial_access_token
from tests.support.oauth import CALLBACK
from tests.support.oauth import introspect
from tests.support.oauth import query_of


def test_a_public_client_registers_openly_and_completes_the_code_flow_with_pkce(live_open_auth):
    live_open_auth.scope("chat:create")
    metadata = live_open_auth.metadata()
    registered = requests.post(
        metadata["registration_endpoint"],
        json={
            "client_name": "Agent",
            "redirect_uris": [CALLBACK],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
            "scope": "openid chat:create",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    client_id = registered.json()["client_id"]

    session = OAuth2Session(
        client_id,
        redirect_uri=CALLBACK,
        scope="openid chat:create",
        code_challenge_method="S256",
        token_endpoint_auth_method="none",
    )
    verifier = "v" * 64
    url, _state = session.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
    browser = live_open_auth.browser()
    browser.sign_in(live_open_auth.user())
    callback = browser.authorize(query_of(url))
    assert callback.headers["Location"].startswith(CALLBACK)
    token = session.fetch_token(
        metadata["token_endpoint"], authorization_response=callback.headers["Location"], code_verifier=verifier
    )
    assert token["scope"] == "openid chat:create" and token["refresh_token"]

    resource_server = live_open_auth.client(redirect_uri=None, resource_server=True)
    answer = introspect(live_open_auth, resource_server, token["access_token"]).json()
    assert answer["active"] is True and answer["client_id"] == client_id

    # RFC 7592 §2.3: deleting the registration ends every token of the app at once.
    deleted = requests.delete(
        registered.json()["registration_client_uri"],
        timeout=10,
        headers={"Authorization": f"Bearer {registered.json()['registration_access_token']}"},
    )
    assert deleted.status_code == 204
    for issued in (token["access_token"], token["refresh_token"]):
        assert introspect(live_open_auth, resource_server, issued).json() == {"active": False}


def test_a_service_registered_with_an_initial_access_token_gets_a_client_credentials_token(live_auth):
    live_auth.scope("models:read")
    initial = live_auth.run(lambda: create_initial_access_token(max_uses=1)[1])
    metadata = live_auth.metadata()
    registered = requests.post(
        metadata["registration_endpoint"],
        headers={"Authorization": f"Bearer {initial}"},
        json={
            "client_name": "Partner",
            "grant_types": ["client_credentials"],
            "scope": "models:read",
            "token_endpoint_auth_method": "client_secret_basic",
        },
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    body = registered.json()

    session = OAuth2Session(
        body["client_id"], body["client_secret"], scope="models:read", token_endpoint_auth_method="client_secret_basic"
    )
    token = session.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
    assert token["scope"] == "models:read"
    resource_server = live_auth.client(redirect_uri=None, resource_server=True)
    answer = introspect(live_auth, resource_server, token["access_token"]).json()
    assert answer["active"] is True and answer["sub"] == body["client_id"]


def test_two_registrations_racing_for_a_tokens_last_use_cannot_both_win(live_auth):
    """The use is counted in the statement that checks it, whatever the interleaving."""
    initial = live_auth.run(lambda: create_initial_access_token(max_uses=1)[1])
    start = threading.Barrier(2)

    def register() -> int:
        start.wait(timeout=10)
        return requests.post(
            live_auth.url + "/oauth/register",
            headers={"Authorization": f"Bearer {initial}"},
            json={"redirect_uris": [CALLBACK]},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(lambda _: register(), range(2)))
    assert statuses == [201, 401]


def test_two_updates_racing_with_one_registration_access_token_cannot_both_rotate_it(live_auth):
    initial = live_auth.run(lambda: create_initial_access_token()[1])
    body = requests.post(
        live_auth.url + "/oauth/register",
        headers={"Authorization": f"Bearer {initial}"},
        json={"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none"},
        timeout=10,
    ).json()
    start = threading.Barrier(2)

    def update(name: str) -> int:
        start.wait(timeout=10)
        return requests.put(
            body["registration_client_uri"],
            timeout=30,
            headers={"Authorization": f"Bearer {body['registration_access_token']}"},
            json={
                "client_id": body["client_id"],
                "redirect_uris": [CALLBACK],
                "client_name": name,
                "token_endpoint_auth_method": "none",
            },
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(update, ["First", "Second"]))
    assert statuses == [200, 401]


@pytest.mark.parametrize("body", [None, b"[1]", b'"text"', b"not json"])
def test_an_update_whose_body_is_no_json_object_is_invalid_client_metadata_not_a_500(live_auth, body):
    """Found by the fuzzer (tests/operations/test_fuzz.py): RFC 7592 §2.2 without a JSON object."""
    initial = live_auth.run(lambda: create_initial_access_token()[1])
    registered = requests.post(
        live_auth.url + "/oauth/register",
        headers={"Authorization": f"Bearer {initial}"},
        json={"redirect_uris": [CALLBACK]},
        timeout=10,
    ).json()
    answer = requests.put(
        registered["registration_client_uri"],
        data=body,
        headers={"Authorization": f"Bearer {registered['registration_access_token']}"},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "invalid_client_metadata"
