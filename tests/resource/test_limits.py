"""Requests per minute and tokens per day, per client and per user, in memory and through Redis."""

from __future__ import annotations

import json
import time

import pytest
import requests

from resource.limits import MAX_BLOCK
from resource.limits import MinuteBlocks
from shared.cache import RedisCache
from tests.support.ports import free_port

CHAT = {"model": "demo-chat", "messages": [{"role": "user", "content": "count these words please"}]}


@pytest.fixture(autouse=True)
def same_minute():
    """Counting windows are calendar minutes: start each test well inside one."""
    if time.time() % 60 > 57:
        time.sleep(60 - time.time() % 60 + 0.05)


def get(server, token, path="/v1/models"):
    return requests.get(server.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def chat(server, token):
    return requests.post(
        server.url + "/v1/chat/completions", json=CHAT, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )


def test_requests_per_minute_gives_429_with_retry_after_and_headers(fake_as, start_resource):
    server = start_resource(fake_as.url, rate_limit_per_minute=3)
    token = fake_as.grant("rpm", "models:read")
    remaining = [get(server, token).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    refused = get(server, token)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == "3"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["X-RateLimit-Reset"]) <= 60


def test_limits_are_per_client(fake_as, start_resource):
    server = start_resource(fake_as.url, rate_limit_per_minute=1)
    first = fake_as.grant("one", "models:read", sub="c1", client_id="c1")
    second = fake_as.grant("two", "models:read", sub="c2", client_id="c2")
    assert get(server, first).status_code == 200
    assert get(server, first).status_code == 429
    assert get(server, second).status_code == 200


def test_a_user_is_limited_across_clients(fake_as, start_resource):
    server = start_resource(
        fake_as.url,
        rate_limit_per_minute=2,
        resource_limits=json.dumps({"big-1": {"rate_limit_per_minute": 100}, "big-2": {"rate_limit_per_minute": 100}}),
    )
    via_one = fake_as.grant("u-1", "models:read", sub="alice", client_id="big-1")
    via_two = fake_as.grant("u-2", "models:read", sub="alice", client_id="big-2")
    assert get(server, via_one).status_code == 200
    assert get(server, via_two).status_code == 200
    refused = get(server, via_one)
    assert refused.status_code == 429 and "user" in refused.json()["error"]["message"]


def test_per_client_override_from_config_and_from_introspection(fake_as, start_resource):
    server = start_resource(
        fake_as.url, rate_limit_per_minute=100, resource_limits=json.dumps({"tight": {"rate_limit_per_minute": 1}})
    )
    configured = fake_as.grant("cfg", "models:read", sub="tight", client_id="tight")
    assert get(server, configured).headers["X-RateLimit-Limit"] == "1"
    assert get(server, configured).status_code == 429
    published = fake_as.grant("pub", "models:read", sub="p", client_id="p", rate_limit_per_minute=7)
    assert get(server, published).headers["X-RateLimit-Limit"] == "7"


def test_tokens_per_day_quota(fake_as, start_resource):
    server = start_resource(fake_as.url, tokens_per_day=20)
    token = fake_as.grant("quota", "chat:create")
    first = chat(server, token)
    assert first.status_code == 200 and first.json()["usage"]["total_tokens"] == 12
    assert chat(server, token).status_code == 200  # 12 used < 20: allowed, now 24
    refused = chat(server, token)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "tokens_per_day_exceeded"
    assert int(refused.headers["Retry-After"]) <= 86_400


def test_an_input_larger_than_what_is_left_today_is_refused_before_the_model_runs(fake_as, start_resource):
    server = start_resource(fake_as.url, tokens_per_day=100)
    token = fake_as.grant("huge", "chat:create embeddings:create")
    headers = {"Authorization": f"Bearer {token}"}
    huge = {"model": "demo-chat", "messages": [{"role": "user", "content": "word " * 150}]}
    refused = requests.post(server.url + "/v1/chat/completions", json=huge, headers=headers, timeout=10)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "tokens_per_day_exceeded"
    assert int(refused.headers["Retry-After"]) <= 86_400
    embeddings = requests.post(
        server.url + "/v1/embeddings",
        headers=headers,
        timeout=10,
        json={"model": "lexical-hash-384", "input": "word " * 101},
    )
    assert embeddings.status_code == 429
    # Nothing was charged for them: a call that fits still goes through.
    assert chat(server, token).status_code == 200


def test_max_tokens_is_capped_at_what_is_left_today(fake_as, start_resource):
    server = start_resource(fake_as.url, tokens_per_day=20)
    token = fake_as.grant("capped", "chat:create")
    ten_words = {
        "model": "demo-chat",
        "max_tokens": 1000,
        "messages": [{"role": "user", "content": "one two three four five six seven eight nine ten"}],
    }
    answer = requests.post(
        server.url + "/v1/chat/completions", json=ten_words, timeout=10, headers={"Authorization": f"Bearer {token}"}
    ).json()
    # The demo would answer 14 words; 10 of the 20 tokens are left after the input.
    assert answer["usage"] == {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
    assert answer["choices"][0]["finish_reason"] == "length"
    assert chat(server, token).status_code == 429


def test_limits_are_shared_across_processes_through_redis(fake_as, start_resource, redis_url):
    one = start_resource(fake_as.url, redis_url=redis_url, rate_limit_per_minute=4)
    two = start_resource(fake_as.url, redis_url=redis_url, rate_limit_per_minute=4)
    token = fake_as.grant("shared", "models:read")
    statuses = [get(server, token).status_code for server in (one, two, one, two, one, two)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    # The introspection cache is shared too: one answer served both servers.
    assert fake_as.introspections == 1


def test_redis_outage_does_not_take_the_api_down(fake_as, start_resource):
    server = start_resource(fake_as.url, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    assert get(server, fake_as.grant("no-redis", "models:read")).status_code == 200
    ready = requests.get(server.url + "/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "unavailable"


def test_per_scope_limit_counts_only_the_calls_needing_that_scope(fake_as, start_resource):
    server = start_resource(
        fake_as.url,
        rate_limit_per_minute=100,
        resource_limits=json.dumps({"scope:chat:create": {"rate_limit_per_minute": 1}}),
    )
    token = fake_as.grant("scoped", "chat:create models:read")
    assert chat(server, token).status_code == 200
    refused = chat(server, token)
    assert refused.status_code == 429 and "chat:create" in refused.json()["error"]["message"]
    assert get(server, token).status_code == 200  # other scopes only meet the client's own limit


def test_token_quota_is_shared_through_redis(fake_as, start_resource, redis_url):
    one = start_resource(fake_as.url, redis_url=redis_url, tokens_per_day=20)
    two = start_resource(fake_as.url, redis_url=redis_url, tokens_per_day=20)
    token = fake_as.grant("shared-quota", "chat:create")
    assert chat(one, token).status_code == 200  # 12 tokens
    assert chat(two, token).status_code == 200  # 24: two read 12 from Redis
    time.sleep(1.05)  # QUOTA_READ_TTL: one's own view of the count is re-read from Redis
    refused = chat(one, token)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "tokens_per_day_exceeded"


def test_embeddings_refused_for_their_dimensions_still_count_against_the_quota(fake_as, start_resource):
    """The backend did the work before the size could be compared: a caller must not get it free."""
    server = start_resource(fake_as.url, tokens_per_day=2)
    token = fake_as.grant("dims", "embeddings:create")
    headers = {"Authorization": f"Bearer {token}"}
    body = {"model": "lexical-hash-384", "input": "one two"}
    wrong = requests.post(server.url + "/v1/embeddings", json={**body, "dimensions": 12}, headers=headers, timeout=10)
    assert wrong.status_code == 400
    refused = requests.post(server.url + "/v1/embeddings", json=body, headers=headers, timeout=10)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "tokens_per_day_exceeded"


def test_a_redis_counter_expires_a_window_after_it_was_created_not_after_its_last_count(redis_url):
    import redis

    cache = RedisCache(redis_url, "test:")
    counter = redis.Redis.from_url(redis_url)
    assert [cache.incr("window", amount, 0.5) for amount in (1, 2, 3)] == [1, 3, 6]
    assert 0 < counter.pttl("test:window") <= 500
    assert cache.incr("window", 1, 60) == 7
    assert 0 < counter.pttl("test:window") <= 500  # a later count does not push the expiry back
    time.sleep(0.6)
    assert cache.get("window") is None


def test_a_busy_process_takes_request_numbers_from_redis_in_blocks_growing_with_its_use(redis_url):
    import redis

    counter = redis.Redis.from_url(redis_url)
    blocks = MinuteBlocks(RedisCache(redis_url, "test:"))
    assert [blocks.take("rpm:c:1", 1, 10_000) for _ in range(100)] == list(range(1, 101))
    # Blocks of 1, 2, 4, 8, then MAX_BLOCK: ten round trips for a hundred requests.
    assert int(counter.get("test:rpm:c:1")) == 1 + 2 + 4 + 8 + MAX_BLOCK * 6
    # Near the limit, one number at a time: exact.
    assert [blocks.take("rpm:c:2", 1, 20) for _ in range(3)] == [1, 2, 3]
    assert counter.get("test:rpm:c:2") == b"3"


def test_processes_that_serve_a_call_or_two_hold_no_numbers_back_from_the_busy_one(redis_url):
    idle = [MinuteBlocks(RedisCache(redis_url, "test:")) for _ in range(8)]
    busy = MinuteBlocks(RedisCache(redis_url, "test:"))
    numbers = [blocks.take("rpm:c:1", 1, 600) for blocks in idle]
    numbers += [busy.take("rpm:c:1", 1, 600) for _ in range(700)]
    assert len(set(numbers)) == len(numbers)
    assert sum(1 for number in numbers if number <= 600) == 600


def test_a_request_from_the_minute_before_does_not_drop_the_new_minutes_blocks(redis_url):
    import redis

    blocks = MinuteBlocks(RedisCache(redis_url, "test:"))
    assert [blocks.take("rpm:c:2", 2, 10_000) for _ in range(2)] == [1, 2]  # holds 3
    assert blocks.take("rpm:c:1", 1, 10_000) == 1  # read the clock just before the minute turned
    assert blocks.take("rpm:c:2", 2, 10_000) == 3
    assert redis.Redis.from_url(redis_url).get("test:rpm:c:2") == b"3"  # no block was lost


def test_processes_sharing_a_limit_through_blocks_never_let_more_than_it_through(redis_url):
    one, two = (MinuteBlocks(RedisCache(redis_url, "test:")) for _ in range(2))
    numbers = [blocks.take("rpm:c:1", 1, 100) for _ in range(90) for blocks in (one, two)]
    assert len(set(numbers)) == len(numbers)  # every request its own number
    # Both keep asking, so no number goes unused: exactly the limit gets through.
    assert sum(1 for number in numbers if number <= 100) == 100
