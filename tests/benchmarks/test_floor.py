"""The floors (benchmarks/floor.py) do their scenarios' unavoidable work for real, on our own
database and tokens: a token the floor of (a) stores is one the authorization server then finds, the
floor of (b) finds one the authorization server issued, the floors of (c) and (g) accept its
tokens and refuse forgeries, the floor of (d) asks its introspection endpoint about each one, and
the floor of (a) with Authlib's grant stores what it issues as the floor of (a) does. A
floor that skipped its INSERT, SELECT, signature check or introspection would be no floor at all."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json

import pytest
import requests

import benchmarks.floor
import benchmarks.floor_authlib
from authserver.tokens import keys
from benchmarks.floor import ANSWERS_ENV
from benchmarks.floor import CLIENTS_ENV
from benchmarks.floor import DATABASE_ENV
from benchmarks.floor import INTROSPECTION_AUTH_ENV
from benchmarks.floor import INTROSPECTION_ENV
from benchmarks.floor import ISSUER_ENV
from benchmarks.floor import JWKS_ENV
from benchmarks.floor import RATE_LIMIT_PER_MINUTE
from benchmarks.floor import digest
from tests.support.oauth import introspect
from tests.support.oauth import token_request


def _basic(client) -> dict[str, str]:
    pair = f"{client.client_id}:{client.client_secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def test_the_floor_stores_and_finds_tokens_in_the_authorization_servers_table(live_auth, config, monkeypatch):
    live_auth.scope("models:read")
    client = live_auth.client(redirect_uri=None, scope="models:read")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    digests = {c.client_id: hashlib.sha256(c.client_secret.encode()).hexdigest() for c in (client, resource)}
    monkeypatch.setenv(DATABASE_ENV, config.database_url.removeprefix("sqlite:///"))
    monkeypatch.setenv(CLIENTS_ENV, json.dumps(digests))
    floor_module = importlib.reload(benchmarks.floor)
    floor = importlib.reload(benchmarks.floor_authlib).app.test_client()
    try:
        _stores_and_finds(live_auth, floor, client, resource)
        _issues_through_authlib(live_auth, floor, client, resource)
    finally:
        floor_module.close()


def _stores_and_finds(live_auth, floor, client, resource) -> None:
    form = {"grant_type": "client_credentials", "scope": "models:read"}
    stored = floor.post("/token", data=form, headers=_basic(client))
    assert stored.status_code == 200 and stored.headers["Cache-Control"] == "no-store"
    answer = introspect(live_auth, resource, stored.get_json()["access_token"]).json()
    assert answer["active"] is True and answer["client_id"] == client.client_id

    issued = token_request(live_auth, client, form).json()["access_token"]
    found = floor.post("/introspect", data={"token": issued}, headers=_basic(resource)).get_json()
    assert found["active"] is True and found["client_id"] == client.client_id and found["scope"] == "models:read"

    wrong = {**_basic(client), "Authorization": "Basic " + base64.b64encode(f"{client.client_id}:x".encode()).decode()}
    assert floor.post("/token", data=form, headers=wrong).status_code == 401


def _issues_through_authlib(live_auth, floor, client, resource) -> None:
    """The floor of (a) with Authlib's own grant stores a token the authorization server finds, and
    answers Authlib's errors for a wrong secret and a grant type it does not have."""
    form = {"grant_type": "client_credentials", "scope": "models:read"}
    issued = floor.post("/token-authlib", data=form, headers=_basic(client))
    assert issued.status_code == 200, issued.get_json()
    token = issued.get_json()
    assert token["token_type"] == "Bearer" and token["scope"] == "models:read" and token["expires_in"] == 3600
    assert len(base64.urlsafe_b64decode(token["access_token"] + "=")) == 32
    # Introspection finds it by its SHA-256 in the tokens table: the INSERT happened.
    answer = introspect(live_auth, resource, token["access_token"]).json()
    assert answer["active"] is True and answer["client_id"] == client.client_id and answer["scope"] == "models:read"

    wrong = "Basic " + base64.b64encode(f"{client.client_id}:x".encode()).decode()
    refused = floor.post("/token-authlib", data=form, headers={"Authorization": wrong})
    assert (refused.status_code, refused.get_json()["error"]) == (401, "invalid_client")
    password = {"grant_type": "password", "username": "u", "password": "p"}
    unsupported = floor.post("/token-authlib", data=password, headers=_basic(client))
    assert (unsupported.status_code, unsupported.get_json()["error"]) == (400, "unsupported_grant_type")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_api_floors_answer_what_introspection_says_and_refuse_forgeries(live_auth, monkeypatch):
    """The floors of (c) and (g) answer /v1/me's JSON for tokens of the real authorization server
    (an opaque one as introspection described it; JWTs it signed with RS256 and with ES256, checked
    against its JWKS), count each call, and refuse an unknown token and a forged JWT."""
    live_auth.scope("models:read")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    opaque_client = live_auth.client(redirect_uri=None, scope="models:read")
    jwt_client = live_auth.client(redirect_uri=None, scope="models:read", access_token_format="jwt")
    form = {"grant_type": "client_credentials", "scope": "models:read"}
    opaque = token_request(live_auth, opaque_client, form).json()["access_token"]
    rs256 = token_request(live_auth, jwt_client, form).json()["access_token"]
    live_auth.run(keys.add_key, "ES256")
    es256 = token_request(live_auth, jwt_client, form).json()["access_token"]
    answers = {token: introspect(live_auth, resource, token).json() for token in (opaque, rs256, es256)}
    monkeypatch.setenv(ANSWERS_ENV, json.dumps({digest(opaque): answers[opaque]}))
    monkeypatch.setenv(JWKS_ENV, requests.get(live_auth.metadata()["jwks_uri"], timeout=10).text)
    monkeypatch.setenv(ISSUER_ENV, live_auth.url)
    floor = importlib.reload(benchmarks.floor).app.test_client()

    for path, token in (("/me", opaque), ("/me-jwt", rs256), ("/me-jwt", es256)):
        first, second = (floor.get(path, headers={"Authorization": f"Bearer {token}"}) for _ in range(2))
        assert first.status_code == 200, (path, first.get_json())
        expected = {key: answers[token][key] for key in ("sub", "client_id", "scope", "exp")}
        assert first.get_json() == expected and expected["scope"] == "models:read"
        remaining = [int(answer.headers["X-RateLimit-Remaining"]) for answer in (first, second)]
        # Counted: one fewer left for the second call (or its first, if the minute turned in between).
        assert remaining[1] in (remaining[0] - 1, RATE_LIMIT_PER_MINUTE - 1)
        assert first.headers["X-RateLimit-Limit"] == str(RATE_LIMIT_PER_MINUTE) and first.headers["X-RateLimit-Reset"]

    assert [_segment(token, 0)["alg"] for token in (rs256, es256)] == ["RS256", "ES256"]
    header, claims, signature = rs256.split(".")
    more_scope = json.dumps({**_segment(rs256, 1), "scope": "models:read admin"}).encode()
    forged = (
        f"{header}.{base64.urlsafe_b64encode(more_scope).rstrip(b'=').decode()}.{signature}",
        f"{header}.{claims}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}",
        f"{es256.split('.')[0]}.{claims}.{signature}",
    )
    for path, token in (("/me", "unknown"), ("/me", rs256), *(("/me-jwt", token) for token in forged)):
        assert floor.get(path, headers={"Authorization": f"Bearer {token}"}).status_code == 401, (path, token)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_floor_of_d_introspects_every_requests_token(live_auth, monkeypatch):
    """The floor of (d) asks the real introspection endpoint, with the resource server's credentials,
    about the token of each request: /v1/me's JSON for a valid one, 401 for an unknown one, and 401
    for one revoked since it was last accepted (nothing is kept between requests)."""
    live_auth.scope("models:read")
    resource = live_auth.client(redirect_uri=None, resource_server=True)
    client = live_auth.client(redirect_uri=None, scope="models:read")
    form = {"grant_type": "client_credentials", "scope": "models:read"}
    token = token_request(live_auth, client, form).json()["access_token"]
    answer = introspect(live_auth, resource, token).json()
    monkeypatch.setenv(INTROSPECTION_ENV, live_auth.metadata()["introspection_endpoint"])
    monkeypatch.setenv(INTROSPECTION_AUTH_ENV, _basic(resource)["Authorization"])
    floor_module = importlib.reload(benchmarks.floor)
    floor = floor_module.app.test_client()
    try:
        accepted = floor.get("/me-introspect", headers={"Authorization": f"Bearer {token}"})
        assert accepted.status_code == 200, accepted.get_json()
        assert accepted.get_json() == {key: answer[key] for key in ("sub", "client_id", "scope", "exp")}
        assert accepted.headers["X-RateLimit-Limit"] == str(RATE_LIMIT_PER_MINUTE)
        assert floor.get("/me-introspect", headers={"Authorization": "Bearer unknown"}).status_code == 401
        revoked = requests.post(
            live_auth.metadata()["revocation_endpoint"],
            data={"token": token},
            auth=(client.client_id, client.client_secret),
            timeout=10,
        )
        assert revoked.status_code == 200
        assert floor.get("/me-introspect", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    finally:
        floor_module.close()


def _segment(jwt: str, index: int) -> dict:
    encoded = jwt.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
