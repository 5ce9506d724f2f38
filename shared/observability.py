"""Every request of an app counted, timed and given its request id, by one WSGI layer around it.

A WSGI layer rather than Flask hooks: it reads the environ directly, where each hook would pay for
Flask's context proxies (``g``, ``request``) again; measured in docs/deployment.md ("Metrics").
A streamed answer (server-sent events) is timed to its first byte: the app has returned its body
iterator by then.

The same layer adds the headers every answer carries, whatever made the answer (a view, an error
handler, Flask itself): the request id, the app's fixed ones (``observe``: security headers, and
those of every HTML page), and what a view put in ``add_response_headers``. They are appended to the
WSGI header list as given, not through Werkzeug's ``Headers``, which checks each value again, nor
through ``after_request`` hooks, which cost their lookups of Flask's context on every request
(measured in process: the security-headers hook 4 to 5 us of a 180 us introspection).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from flask import Flask

from shared.logging import REQUEST_ID_HEADER
from shared.logging import take_request_id
from shared.metrics import LATENCY
from shared.metrics import REQUESTS
from shared.metrics import UNMATCHED
from shared.metrics import metrics_blueprint

_RESPONSE_HEADERS = "shared.response_headers"


def observe(
    app: Flask,
    name: str,
    metrics_token: str | None,
    headers: Mapping[str, str] | None = None,
    page_headers: Mapping[str, str] | None = None,
) -> None:
    """Wrap ``app`` (see the module docstring) and serve its ``/metrics``. ``headers`` go on every
    answer, ``page_headers`` on every HTML one, whatever made it (fixed values: not checked again)."""
    app.wsgi_app = Observed(app.wsgi_app, name, headers or {}, page_headers or {})
    app.register_blueprint(metrics_blueprint(name, metrics_token))


class Observed:
    def __init__(self, wsgi_app, name: str, headers: Mapping[str, str], page_headers: Mapping[str, str]):
        self.wsgi_app = wsgi_app
        self.name = name
        self._headers = list(headers.items())
        self._page_headers = list(page_headers.items())
        # (endpoint, method, status) -> its two series: prometheus-client's label lookup, made once.
        self._series: dict[tuple[str, str, str], tuple] = {}

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        extra = environ[_RESPONSE_HEADERS] = [(REQUEST_ID_HEADER, take_request_id(environ))]
        # (route, status): what an app that raised would have answered, until start() learns better.
        answer = [UNMATCHED, "500"]

        def start(status_line, headers, exc_info=None):
            # Called while Flask's request for this environ is still there (it is dropped afterwards):
            # it knows the route matched, and a route, not a path, is the label.
            rule = getattr(environ.get("werkzeug.request"), "url_rule", None)
            answer[0], answer[1] = rule.rule if rule is not None else UNMATCHED, status_line[:3]
            headers.extend(extra)
            headers.extend(self._headers)
            if self._page_headers and any(
                name.lower() == "content-type" and value.startswith("text/html") for name, value in headers
            ):
                headers.extend(self._page_headers)
            return start_response(status_line, headers, exc_info)

        try:
            return self.wsgi_app(environ, start)
        finally:
            key = (answer[0], environ.get("REQUEST_METHOD", ""), answer[1])
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = (REQUESTS.labels(self.name, *key), LATENCY.labels(self.name, key[0]))
            series[0].inc()
            series[1].observe(time.perf_counter() - started)


def add_response_headers(environ: dict, headers: Mapping[str, str]) -> None:
    """Put ``headers`` on the answer to the request of ``environ``, whatever answers it. Only for
    values made by our code (numbers, fixed names): nothing here is checked for line breaks."""
    environ[_RESPONSE_HEADERS].extend(headers.items())
