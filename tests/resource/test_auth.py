"""Token validation by introspection (RFC 7662) and RFC 6750 errors, against a scripted
introspection server so that call counts, outages and odd answers can be staged."""

from __future__ import annotations

import hashlib
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.support.ports import free_port


def get(server, path="/v1/me", token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(server.url + path, headers=headers, timeout=10, **kwargs)


def test_missing_token_is_401_invalid_token_in_openai_shape(resource):
    response = get(resource)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    # RFC 9728 §5.1: where a client that has no token yet learns how to get one.
    assert (
        f'resource_metadata="{resource.url}/.well-known/oauth-protected-resource"'
        in response.headers["WWW-Authenticate"]
    )
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and error["code"] == "invalid_token"


def test_other_authorization_schemes_count_as_missing(resource):
    response = requests.get(resource.url + "/v1/me", auth=("user", "pass"), timeout=10)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_in_query_or_form_is_refused_rfc6750_invalid_request(resource, fake_as):
    token = fake_as.grant("query-token", "chat:create")
    in_query = requests.get(resource.url + "/v1/me", params={"access_token": token}, timeout=10)
    in_form = requests.post(resource.url + "/v1/chat/completions", data={"access_token": token}, timeout=10)
    for response in (in_query, in_form):
        assert response.status_code == 400
        assert (
            response.headers["WWW-Authenticate"]
            == f'Bearer error="invalid_request", resource_metadata="{resource.url}/.well-known/oauth-protected-resource"'
        )
        assert response.json()["error"]["code"] == "invalid_request"
    assert fake_as.introspections == 0


def test_unknown_token_is_401_and_cached_only_briefly(fake_as, start_resource):
    server = start_resource(fake_as.url, resource_negative_cache_ttl=1)
    for _ in range(3):
        assert get(server, token="unknown").status_code == 401
    assert fake_as.introspections == 1
    fake_as.grant("unknown", "models:read")
    time.sleep(1.1)
    assert get(server, token="unknown").status_code == 200


def test_active_answers_are_cached_under_the_token_digest(resource, fake_as):
    token = fake_as.grant("cached-token", "models:read")
    assert get(resource, token=token).status_code == 200
    assert get(resource, token=token).status_code == 200
    assert fake_as.introspections == 1
    cache = resource.app.extensions["resource"].cache
    assert cache.get("introspection:" + hashlib.sha256(token.encode()).hexdigest()) is not None
    assert cache.get("introspection:" + token) is None


def test_cache_never_outlives_the_tokens_exp(resource, fake_as):
    token = fake_as.grant("short-lived", "models:read", lifetime=5)
    assert get(resource, token=token).status_code == 200
    cache = resource.app.extensions["resource"].cache
    assert 0 < cache.ttl("introspection:" + hashlib.sha256(token.encode()).hexdigest()) <= 5


def test_expired_token_is_refused_even_if_the_server_says_active(resource, fake_as):
    token = fake_as.grant("stale", "models:read", lifetime=-5)
    response = get(resource, token=token)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_cache_ttl_zero_introspects_every_time(fake_as, start_resource):
    server = start_resource(fake_as.url, resource_cache_ttl=0)
    token = fake_as.grant("uncached", "models:read")
    for _ in range(3):
        assert get(server, token=token).status_code == 200
    assert fake_as.introspections == 3


def test_refresh_tokens_are_not_access_tokens(resource, fake_as):
    token = fake_as.grant("a-refresh-token", "models:read", token_type="refresh_token")
    assert get(resource, token=token).status_code == 401


def test_insufficient_scope_is_403_naming_the_scope(resource, fake_as):
    token = fake_as.grant("reader", "models:read")
    response = requests.post(
        resource.url + "/v1/chat/completions", json={}, timeout=10, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="chat:create", '
        f'resource_metadata="{resource.url}/.well-known/oauth-protected-resource"'
    )
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_authorization_server_errors_are_503_with_retry_after_never_accept(resource, fake_as):
    token = fake_as.grant("during-outage", "models:read")
    fake_as.status = 500
    response = get(resource, token=token)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["type"] == "server_error"
    fake_as.status = 200
    assert get(resource, token=token).status_code == 200


def test_slow_authorization_server_is_503(fake_as, start_resource):
    server = start_resource(fake_as.url, introspection_timeout=0.3)
    fake_as.delay = 2.0
    started = time.monotonic()
    assert get(server, token=fake_as.grant("slow", "models:read")).status_code == 503
    assert time.monotonic() - started < 1.5


def test_unreachable_authorization_server_is_503(start_resource):
    server = start_resource(f"http://127.0.0.1:{free_port()}")
    response = get(server, token="anything")
    assert response.status_code == 503 and "Retry-After" in response.headers


def test_wrong_resource_server_credentials_are_503_not_401(fake_as, start_resource):
    server = start_resource(fake_as.url, client_secret="wrong")
    assert get(server, token=fake_as.grant("fine", "models:read")).status_code == 503


def test_failed_discovery_is_retried(resource, fake_as):
    token = fake_as.grant("after-discovery", "models:read")
    fake_as.metadata_status = 503
    assert get(resource, token=token).status_code == 503
    fake_as.metadata_status = 200
    assert get(resource, token=token).status_code == 200


def test_metadata_naming_another_issuer_is_not_trusted(fake_as, start_resource):
    server = start_resource(fake_as.url.replace("127.0.0.1", "localhost"))
    assert get(server, token=fake_as.grant("t", "models:read")).status_code == 503


def test_readyz_reports_the_authorization_server(resource, fake_as, start_resource):
    assert requests.get(resource.url + "/readyz", timeout=10).status_code == 200
    broken = start_resource(fake_as.url, client_secret="wrong")
    response = requests.get(broken.url + "/readyz", timeout=10)
    assert response.status_code == 503
    assert response.json()["checks"]["authorization_server"] == "unavailable"


def test_oversized_or_malformed_tokens_are_refused_without_introspection(resource, fake_as):
    for token in ("x" * 5000, "has space", 'bad"quote'):
        response = requests.get(resource.url + "/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 401
    assert fake_as.introspections == 0


def test_a_burst_on_a_fresh_token_costs_one_introspection(resource, fake_as):
    token = fake_as.grant("burst", "models:read")
    get(resource, token="warm-up-discovery")
    fake_as.introspections = 0
    fake_as.delay = 0.3
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: get(resource, token=token).status_code, range(6)))
    assert statuses == [200] * 6
    assert fake_as.introspections == 1


def test_members_of_the_wrong_type_in_an_answer_count_as_absent_never_a_500(resource, fake_as):
    odd = {
        "odd-sub": {"sub": ["x"]},
        "odd-client": {"client_id": ["a"]},
        "odd-number": {"client_id": 5},
        "odd-exp": {"exp": True},
        "odd-limit": {"rate_limit_per_minute": True},
    }
    for token, members in odd.items():
        fake_as.grant(token, "models:read")
        fake_as.tokens[token].update(members)
        response = get(resource, token=token)
        assert response.status_code == 200, (token, response.text)
    assert get(resource, token="odd-client").json()["client_id"] is None


def test_an_answer_nested_too_deep_to_parse_is_503_not_500(resource, fake_as):
    fake_as.tokens["deep"] = "[" * 100_000 + "]" * 100_000
    response = get(resource, token="deep")
    assert response.status_code == 503 and response.json()["error"]["type"] == "server_error"


def test_a_401_names_the_scope_the_call_needs(resource):
    response = requests.post(resource.url + "/v1/chat/completions", json={}, timeout=10)
    assert response.status_code == 401
    assert 'scope="chat:create"' in response.headers["WWW-Authenticate"]


def test_audience_rfc8707_only_tokens_for_this_resource_or_for_none(resource, fake_as):
    """RESOURCE_URL is the server's base URL here (tests/resource/conftest.py)."""
    here = resource.url
    accepted = {
        "no-audience": fake_as.grant("no-audience", "models:read"),
        "ours": fake_as.grant("ours", "models:read", aud=[here + "/", "https://other.example"]),
        "ours-as-string": fake_as.grant("ours-as-string", "models:read", aud=here),
    }
    refused = {
        "another": fake_as.grant("another", "models:read", aud=["https://other.example"]),
        "a-path-below": fake_as.grant("a-path-below", "models:read", aud=here + "/mcp"),
        "empty": fake_as.grant("empty", "models:read", aud=[]),
        "not-a-uri": fake_as.grant("not-a-uri", "models:read", aud=[17]),
    }
    for name, token in accepted.items():
        assert get(resource, "/v1/models", token).status_code == 200, name
    for name, token in refused.items():
        response = get(resource, "/v1/models", token)
        assert response.status_code == 401, name
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        assert response.json()["error"]["code"] == "invalid_token"
