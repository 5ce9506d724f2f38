"""Usage metering: records leave the request path and reach the authorization server in batches."""

from __future__ import annotations

import time

import requests


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_calls_are_metered_and_delivered_in_batches(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=0.1)
    token = fake_as.grant("metered", "chat:create embeddings:create", sub="alice", client_id="app")
    headers = {"Authorization": f"Bearer {token}"}
    requests.post(server.url + "/v1/chat/completions", headers=headers, timeout=10,
                  json={"model": "demo-chat", "messages": [{"role": "user", "content": "a b c"}]})
    requests.post(server.url + "/v1/chat/completions", headers=headers, timeout=10, json={
        "model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "a b"}]}).content
    requests.post(server.url + "/v1/embeddings", headers=headers, timeout=10,
                  json={"model": "lexical-hash-384", "input": ["one two"]})
    wait_for(lambda: len(fake_as.usage) == 3)
    rows = [{key: row[key] for key in ("client_id", "user_sub", "endpoint", "model", "tokens_in", "tokens_out")}
            for row in fake_as.usage]
    assert rows == [
        {"client_id": "app", "user_sub": "alice", "endpoint": "chat.completions", "model": "demo-chat",
         "tokens_in": 3, "tokens_out": 7},
        {"client_id": "app", "user_sub": "alice", "endpoint": "chat.completions", "model": "demo-chat",
         "tokens_in": 2, "tokens_out": 6},
        {"client_id": "app", "user_sub": "alice", "endpoint": "embeddings", "model": "lexical-hash-384",
         "tokens_in": 2, "tokens_out": 0},
    ]


def test_metering_outage_never_fails_a_request_and_is_retried(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=0.05)
    token = fake_as.grant("m", "models:read")
    fake_as.usage_status = 503
    assert requests.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {token}"},
                        timeout=10).status_code == 200
    wait_for(lambda: fake_as.usage_attempts >= 2)  # refused, and tried again
    assert fake_as.usage == []
    fake_as.usage_status = 202
    wait_for(lambda: len(fake_as.usage) == 1)
