"""Prometheus metrics for both apps, and their ``/metrics`` endpoint.

Under a server with several worker processes (gunicorn, granian), set ``PROMETHEUS_MULTIPROC_DIR``
to an empty directory that exists before the server starts (and is emptied at each start):
prometheus-client then keeps each process's values in memory-mapped files there, and ``/metrics``
in any worker adds up every worker's. Without it, a process reports only its own.

``/metrics`` is open unless ``AUTHSERVER_METRICS_TOKEN`` / ``RESOURCE_METRICS_TOKEN`` is set; then it
requires ``Authorization: Bearer <that value>``, compared in constant time.
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint
from flask import Response
from flask import jsonify
from flask import request
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client import REGISTRY
from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest
from prometheus_client import multiprocess

METRICS_PATH = "/metrics"

# Both apps may run in one process (tests, `make run`): every series carries the app's name.
REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered, by endpoint and status", ["app", "endpoint", "method", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer, by endpoint",
    ["app", "endpoint"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKENS_ISSUED = Counter("authserver_tokens_issued_total", "Token responses issued, by grant type", ["grant_type"])
UPSTREAM_ERRORS = Counter(
    "upstream_errors_total",
    "Failed calls to an upstream identity provider (authserver) or model server (resource)",
    ["app", "upstream", "reason"],
)
INTROSPECTION_CACHE = Counter(
    "resource_introspection_cache_total",
    "Token validations answered from the cache (hit) or by introspection (miss)",
    ["result"],
)
AUTHORIZATION_SERVER_ERRORS = Counter(
    "resource_authorization_server_errors_total", "Introspection calls that failed (answered 503 to the caller)"
)

# A path no route matched is not a label value: any caller could mint series without end.
UNMATCHED = "unmatched"


def registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        combined = CollectorRegistry()
        multiprocess.MultiProcessCollector(combined)
        return combined
    return REGISTRY


def metrics_blueprint(name: str, token: str | None) -> Blueprint:
    bp = Blueprint(f"{name}_metrics", __name__)
    expected = f"Bearer {token}".encode() if token else None

    @bp.get(METRICS_PATH)
    def metrics():
        if expected is not None:
            given = request.headers.get("Authorization", "").encode("utf-8", "replace")
            if not hmac.compare_digest(given, expected):
                response = jsonify(error="invalid_token", error_description="The metrics token is missing or wrong.")
                response.status_code = 401
                response.headers["WWW-Authenticate"] = 'Bearer realm="metrics", error="invalid_token"'
                return response
        return Response(generate_latest(registry()), mimetype=CONTENT_TYPE_LATEST)

    return bp
