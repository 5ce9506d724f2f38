"""The floor of (a) and (b) (benchmarks/floor.py) does their unavoidable work for real, on our own
database: a token it stores is one the authorization server then finds, and it finds one the
authorization server issued. A floor that skipped its INSERT or SELECT would be no floor at all."""

from __future__ import annotations

import base64
import hashlib
import importlib
import json

import benchmarks.floor
from benchmarks.floor import CLIENTS_ENV
from benchmarks.floor import DATABASE_ENV
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
    try:
        _stores_and_finds(live_auth, floor_module.app.test_client(), client, resource)
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
