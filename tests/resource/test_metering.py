"""Usage metering: records leave the request path and reach the authorization server in batches."""

from __future__ import annotations

import time

import requests

from resource.metering import MAX_COUNT


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def totals(records: list[dict]) -> dict[tuple, list[int]]:
    """Requests and tokens per (client, user, endpoint, model), however the records split them."""
    summed: dict[tuple, list[int]] = {}
    for row in records:
        key = (row["client_id"], row["user_sub"], row["endpoint"], row["model"])
        counts = summed.setdefault(key, [0, 0, 0])
        for index, name in enumerate(("requests", "tokens_in", "tokens_out")):
            counts[index] += row[name]
    return summed


def test_calls_are_metered_and_delivered_in_batches(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=0.1)
    token = fake_as.grant("metered", "chat:create embeddings:create", sub="alice", client_id="app")
    headers = {"Authorization": f"Bearer {token}"}
    requests.post(
        server.url + "/v1/chat/completions",
        headers=headers,
        timeout=10,
        json={"model": "demo-chat", "messages": [{"role": "user", "content": "a b c"}]},
    )
    requests.post(
        server.url + "/v1/chat/completions",
        headers=headers,
        timeout=10,
        json={"model": "demo-chat", "stream": True, "messages": [{"role": "user", "content": "a b"}]},
    ).content
    requests.post(
        server.url + "/v1/embeddings",
        headers=headers,
        timeout=10,
        json={"model": "lexical-hash-384", "input": ["one two"]},
    )
    wait_for(lambda: sum(row["requests"] for row in fake_as.usage) == 3)
    assert totals(fake_as.usage) == {
        ("app", "alice", "chat.completions", "demo-chat"): [2, 3 + 2, 7 + 6],
        ("app", "alice", "embeddings", "lexical-hash-384"): [1, 2, 0],
    }
    assert all(row["at"].endswith("+00:00") for row in fake_as.usage)


def test_the_calls_of_one_interval_travel_as_one_record_per_client_user_endpoint_and_model(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=3600)  # flushed below, by hand
    alice = {"Authorization": f"Bearer {fake_as.grant('a', 'models:read', sub='alice', client_id='app')}"}
    bob = {"Authorization": f"Bearer {fake_as.grant('b', 'models:read', sub='bob', client_id='app')}"}
    for headers in [alice] * 10 + [bob] * 3:
        assert requests.get(server.url + "/v1/models", headers=headers, timeout=10).status_code == 200
    assert server.app.extensions["resource"].meter.flush()
    assert sorted((row["user_sub"], row["requests"]) for row in fake_as.usage) == [("alice", 10), ("bob", 3)]


def test_a_total_about_to_pass_what_a_record_may_hold_is_sent_as_a_record_of_its_own(fake_as, start_resource):
    meter = start_resource(fake_as.url, usage_flush_interval=3600).app.extensions["resource"].meter
    for _ in range(3):
        meter.record(
            client_id="app",
            user_sub=None,
            endpoint="chat.completions",
            model="m",
            tokens_in=MAX_COUNT - 5,
            tokens_out=1,
        )
    assert meter.flush()
    assert [(row["requests"], row["tokens_in"], row["tokens_out"]) for row in fake_as.usage] == [
        (1, MAX_COUNT - 5, 1)
    ] * 3


def test_metering_outage_never_fails_a_request_and_is_retried(fake_as, start_resource):
    server = start_resource(fake_as.url, usage_flush_interval=0.05)
    token = fake_as.grant("m", "models:read")
    fake_as.usage_status = 503
    assert (
        requests.get(server.url + "/v1/models", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code
        == 200
    )
    wait_for(lambda: fake_as.usage_attempts >= 2)  # refused, and tried again
    assert fake_as.usage == []
    fake_as.usage_status = 202
    wait_for(lambda: len(fake_as.usage) == 1)
    assert fake_as.usage[0]["requests"] == 1


def test_a_batch_sent_again_carries_the_same_record_ids(fake_as, start_resource):
    # An answer lost after the authorization server stored the batch looks like any failure: the
    # batch goes again, and the ids it keeps are what lets the server store it once.
    meter = start_resource(fake_as.url, usage_flush_interval=3600).app.extensions["resource"].meter
    for user in ("alice", "bob"):
        meter.record(client_id="app", user_sub=user, endpoint="embeddings", model="m", tokens_in=1, tokens_out=0)
    fake_as.usage_status = 503
    assert not meter.flush()
    fake_as.usage_status = 202
    assert meter.flush()
    first, second = fake_as.usage_deliveries
    assert first == second
    assert len({row["id"] for row in first}) == 2 and all(len(row["id"]) == 32 for row in first)
    meter.record(client_id="app", user_sub="alice", endpoint="embeddings", model="m", tokens_in=1, tokens_out=0)
    assert meter.flush()
    assert fake_as.usage_deliveries[2][0]["id"] not in {row["id"] for row in first}
