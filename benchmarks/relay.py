"""The floor under scenario (d): a bare Flask app whose every request asks the bare hello app once,
through the resource server's own kept-alive client, as ``/v1/me`` with its cache off asks the
introspection endpoint. Both apps do nothing else, so what (f) costs is the stack's price of a
request that makes another: no real path that makes one can do better than (f)."""

from __future__ import annotations

import os

from flask import Flask

from resource.http import KeepAlivePool

UPSTREAM_ENV = "BENCH_RELAY_TO"

app = Flask(__name__)
_hello = KeepAlivePool(os.environ.get(UPSTREAM_ENV, "http://127.0.0.1:9"), timeout=5.0)


@app.get("/")
def relayed() -> tuple[bytes, int]:
    status, body = _hello.request(b"GET", b"/")
    return body, status


@app.get("/healthz")
def healthz() -> str:
    return "ok"
