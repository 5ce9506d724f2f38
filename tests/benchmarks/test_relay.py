"""Scenario (f)'s relay: each request asks the hello app once, over a real HTTP connection, and
answers what hello answered (a relay that failed or answered alone would make (f) no floor at all)."""

from __future__ import annotations

import importlib

import benchmarks.relay
from benchmarks import hello
from benchmarks.relay import UPSTREAM_ENV
from tests.support.live_server import LiveServer


def test_the_relay_answers_what_hello_answered_over_http(monkeypatch):
    calls = []
    server = LiveServer().start(
        lambda environ, start_response: calls.append(environ["PATH_INFO"]) or hello.app(environ, start_response)
    )
    try:
        monkeypatch.setenv(UPSTREAM_ENV, server.url)
        relay = importlib.reload(benchmarks.relay)
        client = relay.app.test_client()
        answers = [client.get("/") for _ in range(3)]
    finally:
        server.stop()
    assert [(a.status_code, a.data) for a in answers] == [(200, b"Hello, World!")] * 3
    assert calls == ["/"] * 3
