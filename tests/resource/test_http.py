"""``KeepAlivePool``, the introspection client: kept-alive connections, reused across calls and
threads, a connection the server dropped retried once on a new one (only then), timeouts, and
nothing taken from the environment."""

from __future__ import annotations

import http.client
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from resource.http import KeepAlivePool
from shared.paths import REVOCATIONS_PATH
from tests.resource.fakes import RS_ID
from tests.resource.fakes import RS_SECRET
from tests.resource.keepalive import KeepAliveServer
from tests.support.ports import free_port


@pytest.fixture
def server():
    fake = KeepAliveServer()
    yield fake
    fake.stop()


@pytest.fixture
def make_pool():
    """``make_pool(url, timeout, **options)``; the pools' idle connections are closed after the test."""
    made = []

    def make(url: str, timeout: float, **options) -> KeepAlivePool:
        made.append(KeepAlivePool(url, timeout, **options))
        return made[-1]

    yield make
    for pool in made:
        pool.clear()


def test_calls_share_one_kept_alive_connection(server, make_pool):
    pool = make_pool(server.url, timeout=2)
    for n in range(5):
        answer = pool.request(b"POST", b"/echo", b"n=%d" % n, b"Content-Type: application/x-www-form-urlencoded\r\n")
        assert answer.status == 200
    assert server.connections == 1
    method, path, headers, body = server.requests[-1]
    assert (method, path, body) == ("POST", "/echo", b"n=4")
    assert headers["host"] == f"127.0.0.1:{server.port}" and headers["content-length"] == "3"


def test_get_sends_no_content_length(server, make_pool):
    pool = make_pool(server.url, timeout=2)
    assert pool.request(b"GET", pool.target(server.url + "/x?y=1")).status == 200
    assert server.requests[-1][:2] == ("GET", "/x?y=1") and "content-length" not in server.requests[-1][2]


def test_a_connection_the_server_dropped_is_retried_once_on_a_new_one(server, make_pool):
    pool = make_pool(server.url, timeout=2)
    assert pool.request(b"GET", b"/one").status == 200
    server.drop_connections()
    time.sleep(0.05)
    assert pool.request(b"GET", b"/two").status == 200
    assert server.connections == 2
    assert [path for _, path, _, _ in server.requests] == ["/one", "/two"]


def test_a_connection_closed_silently_after_an_answer_is_retried(server, make_pool):
    """The idle timeout of a keep-alive server: the connection dies between two calls."""
    server.mode = "close-after"
    pool = make_pool(server.url, timeout=2)
    for _ in range(3):
        assert pool.request(b"GET", b"/again").status == 200
    assert server.connections == 3


def test_a_restarted_server_costs_one_retry_not_an_error(make_pool):
    first = KeepAliveServer()
    pool = make_pool(first.url, timeout=2)
    assert pool.request(b"GET", b"/before").status == 200
    first.stop()
    second = KeepAliveServer(first.port)
    try:
        assert pool.request(b"GET", b"/after").status == 200
        assert second.connections == 1
    finally:
        second.stop()


def test_a_new_connection_that_gets_no_answer_is_not_retried(server, make_pool):
    server.mode = "close"
    pool = make_pool(server.url, timeout=2)
    with pytest.raises(http.client.RemoteDisconnected):
        pool.request(b"POST", b"/once", b"x=1")
    assert len(server.requests) == 1


def test_a_reused_connection_is_retried_only_once(server, make_pool):
    pool = make_pool(server.url, timeout=2)
    pool.request(b"GET", b"/warm")
    server.mode = "close"
    with pytest.raises(http.client.RemoteDisconnected):
        pool.request(b"POST", b"/twice-at-most", b"x=1")
    assert [path for _, path, _, _ in server.requests] == ["/warm", "/twice-at-most", "/twice-at-most"]


def test_a_slow_answer_times_out_and_is_not_retried(server, make_pool):
    pool = make_pool(server.url, timeout=0.2)
    pool.request(b"GET", b"/warm")
    server.delay = 1.0
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        pool.request(b"GET", b"/slow")
    assert time.monotonic() - started < 0.9
    assert len(server.requests) == 2


def test_unreachable_origin_raises_oserror(make_pool):
    pool = make_pool(f"http://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(OSError):
        pool.request(b"GET", b"/")


def test_proxies_in_the_environment_are_not_used(server, monkeypatch, make_pool):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert make_pool(server.url, timeout=2).request(b"GET", b"/direct").status == 200


def test_idle_connections_are_bounded_and_shared_by_threads(server, make_pool):
    pool = make_pool(server.url, timeout=5, size=2)
    server.delay = 0.2
    with ThreadPoolExecutor(5) as threads:
        assert list(threads.map(lambda _: pool.request(b"GET", b"/burst").status, range(5))) == [200] * 5
    opened = server.connections
    assert opened >= 2
    # Past the bound, connections are closed when they come back: the server sees at most two stay.
    deadline = time.monotonic() + 5
    while server.open_connections > 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.open_connections <= 2
    server.delay = 0
    with ThreadPoolExecutor(2) as threads:
        list(threads.map(lambda _: pool.request(b"GET", b"/after").status, range(6)))
    assert server.connections <= opened + 2


def test_urls_are_checked_once_against_request_splitting():
    with pytest.raises(ValueError):
        KeepAlivePool("ftp://127.0.0.1", timeout=1)
    pool = KeepAlivePool("http://127.0.0.1:1", timeout=1)
    for bad in ("http://127.0.0.1:1/a b", "http://127.0.0.1:1/a\r\nX: y", "http://other:1/x", "http://127.0.0.1:1/é"):
        with pytest.raises(ValueError):
            pool.target(bad)


def test_resource_server_introspects_over_one_connection_and_survives_a_dropped_one(server, start_resource):
    """RESOURCE_CACHE_TTL=0: one introspection per call, all on one pooled connection with the
    credentials sent as client_secret_basic; a connection the authorization server dropped (its
    restart, its idle timeout) is retried, never a 503."""
    resource = start_resource(server.url, RS_ID, RS_SECRET, resource_cache_ttl=0)
    me = resource.url + "/v1/me"
    for _ in range(3):
        assert requests.get(me, headers={"Authorization": "Bearer good-1"}, timeout=10).status_code == 200
    assert server.connections_carrying("/introspect") == 1
    introspections = [body for _, path, _, body in server.requests if path == "/introspect"]
    assert introspections == [b"token=good-1&token_type_hint=access_token"] * 3
    server.drop_connections()
    time.sleep(0.05)
    assert requests.get(me, headers={"Authorization": "Bearer good-1"}, timeout=10).status_code == 200
    assert requests.get(me, headers={"Authorization": "Bearer bad"}, timeout=10).status_code == 401
    assert server.connections_carrying("/introspect") == 2


def test_tokens_are_form_encoded_in_the_introspection_body(server, start_resource):
    resource = start_resource(server.url, RS_ID, RS_SECRET, resource_cache_ttl=0)
    response = requests.get(resource.url + "/v1/me", headers={"Authorization": "Bearer good+a/b=="}, timeout=10)
    assert response.status_code == 200
    introspections = [body for _, path, _, body in server.requests if path == "/introspect"]
    assert introspections == [b"token=good%2Ba%2Fb%3D%3D&token_type_hint=access_token"]


def test_an_introspection_endpoint_on_another_origin_gets_its_own_pool(server, start_resource):
    elsewhere = KeepAliveServer()
    try:
        server.introspection_endpoint = elsewhere.url + "/introspect"
        resource = start_resource(server.url, RS_ID, RS_SECRET, resource_cache_ttl=0)
        for _ in range(2):
            assert (
                requests.get(
                    resource.url + "/v1/me", headers={"Authorization": "Bearer good-2"}, timeout=10
                ).status_code
                == 200
            )
        # The issuer answers the metadata (and the revocation feed, on a pool of its own).
        assert [path for _, path, _, _ in server.requests if path != REVOCATIONS_PATH] == [
            "/.well-known/oauth-authorization-server"
        ]
        assert [path for _, path, _, _ in elsewhere.requests] == ["/introspect"] * 2
        assert elsewhere.connections == 1
    finally:
        elsewhere.stop()
