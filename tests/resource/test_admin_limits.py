"""Limits an admin sets (``clients set-limits``) reach tokens a resource server has already cached:
each process polls ``GET /internal/limits`` once a second, well inside the introspection cache's TTL."""

from __future__ import annotations

import requests
from flask import Flask
from flask import jsonify

from authserver.clients.services import set_limits
from resource.admin_limits import AdminLimits
from tests.resource.e2e import Stack
from tests.resource.e2e import register
from tests.support.clients import eventually
from tests.support.live_server import LiveServer
from tests.support.oauth import resource_config

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "hello"}]}


def _stack(live_auth, start_resource) -> Stack:
    resource_client, partner = register(live_auth)
    # An introspection answer stays cached for a minute: only the poll can bring a change in sooner.
    server = start_resource(
        live_auth.url, resource_client.client_id, resource_client.client_secret, resource_cache_ttl=60
    )
    return Stack(live_auth, server, resource_client, partner)


def _refused_with(stack: Stack, token: str, code: str) -> bool:
    answer = stack.get("/v1/models", token)
    return answer.status_code == 429 and answer.json()["error"]["code"] == code


def test_limit_changes_apply_to_a_token_already_cached(live_auth, start_resource):
    stack = _stack(live_auth, start_resource)
    partner = stack.partner.client_id
    token = stack.token()
    assert stack.post("/v1/chat/completions", token, CHAT).status_code == 200  # spends tokens; token cached

    live_auth.run(set_limits, partner, None, 1)
    assert eventually(lambda: _refused_with(stack, token, "tokens_per_day_exceeded"))

    live_auth.run(set_limits, partner, None, None)
    assert eventually(lambda: stack.get("/v1/models", token).status_code == 200)

    live_auth.run(set_limits, partner, 1, None)
    assert eventually(lambda: _refused_with(stack, token, "rate_limit_exceeded"))
    assert stack.get("/v1/models", token).headers["X-RateLimit-Limit"] == "1"

    live_auth.run(set_limits, partner, 0, 0)  # 0: unlimited, overriding the server's defaults
    # Unlimited shows as no limit headers: a 200 alone may only mean a new minute began.
    assert eventually(lambda: "X-RateLimit-Limit" not in stack.get("/v1/models", token).headers)
    assert stack.post("/v1/chat/completions", token, CHAT).status_code == 200


def test_the_limits_endpoint_answers_resource_servers_only(live_auth):
    resource_client, partner = register(live_auth)
    live_auth.run(set_limits, partner.client_id, 30, None)
    url = live_auth.url + "/internal/limits"

    refused = requests.get(url, auth=(partner.client_id, partner.client_secret), timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert requests.get(url, timeout=10).status_code == 401

    auth = (resource_client.client_id, resource_client.client_secret)
    answer = requests.get(url, auth=auth, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    body = answer.json()
    assert body["clients"][partner.client_id] == {"rate_limit_per_minute": 30}
    assert resource_client.client_id not in body["clients"]
    assert answer.headers["ETag"] == f'"{body["version"]}"'

    unchanged = requests.get(url, auth=auth, headers={"If-None-Match": answer.headers["ETag"]}, timeout=10)
    assert unchanged.status_code == 304 and unchanged.content == b""

    live_auth.run(set_limits, partner.client_id, 30, 500)
    changed = requests.get(url, auth=auth, headers={"If-None-Match": answer.headers["ETag"]}, timeout=10)
    assert changed.status_code == 200
    assert changed.json()["clients"][partner.client_id] == {"rate_limit_per_minute": 30, "tokens_per_day": 500}


def test_a_failed_poll_keeps_the_limits_last_known(tmp_path):
    answers = [(200, {"version": "v1", "clients": {"partner": {"tokens_per_day": 5}}}), (304, None), (500, None)]
    upstream = Flask("fake-authserver")

    @upstream.get("/internal/limits")
    def limits():
        status, body = answers[0]
        return (jsonify(body) if body else ""), status

    server = LiveServer()
    server.start(upstream)
    try:
        admin = AdminLimits(resource_config(server.url, tmp_path))
        assert admin.current is None  # until a poll succeeds, introspection's limits hold
        assert admin.poll() and admin.current == {"partner": {"tokens_per_day": 5}} and admin.version == 1
        for _ in range(2):
            answers.pop(0)
            assert admin.poll() is (answers[0][0] == 304)
            assert admin.current == {"partner": {"tokens_per_day": 5}} and admin.version == 1
        server.stop()
        assert admin.poll() is False
        assert admin.current == {"partner": {"tokens_per_day": 5}}
    finally:
        server.stop()
