"""Logging set up once per process: one JSON object per line, each carrying the request id of the
request it was written for; tokens and secrets never reach a log line.

A request's id is the ``X-Request-Id`` it came with when that is of sane syntax (what a proxy or
load balancer generates: letters, digits and ``._:=+/-``, at most 128), otherwise a new one: 32 hex
digits, 64 random bits drawn once per process then a counter (unique across processes and hosts, no
system call per request: an id needs to be unique, not unguessable).
It is echoed in the response's ``X-Request-Id``, and the resource server sends it on to the
introspection endpoint, so one API call's lines in both apps' logs share it.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re
import time

from shared.forks import reset_in_child

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/\-]{1,128}")
_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_CREDENTIAL = re.compile(
    r"(?i)(access_token|refresh_token|client_secret|code|password|token|authorization:\s*bearer)"
    r"([=:\s\"']+)[^&\s\"',]+"
)


class RedactCredentials(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _CREDENTIAL.sub(r"\1\2[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonLines(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id"?, "exception"?}``, one per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id.get()
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_handler(stream=None) -> logging.Handler:
    """What every line passes through: redaction, then one JSON object (stderr by default)."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    handler.addFilter(RedactCredentials())
    return handler


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactCredentials) for h in root.handlers for f in h.filters):
        root.addHandler(log_handler())
    root.setLevel(level)
    # werkzeug logs request lines with query strings, which can carry codes: redact them too, for
    # every handler (not only ours). Once: each app built in a process calls this again.
    werkzeug = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactCredentials) for f in werkzeug.filters):
        werkzeug.addFilter(RedactCredentials())


def current_request_id() -> str | None:
    return _request_id.get()


class _RequestIds:
    def __init__(self):
        self._renew()
        reset_in_child(self, _RequestIds._renew)

    def _renew(self) -> None:
        # Drawn again in a forked worker, which would otherwise hand out its parent's ids.
        self._prefix = os.urandom(8).hex()
        self._numbers = itertools.count()

    def new(self) -> str:
        return f"{self._prefix}{next(self._numbers):016x}"


_new_ids = _RequestIds()


def take_request_id(environ: dict) -> str:
    """The request's id (see the module docstring), now the id of every line this thread logs."""
    given = environ.get("HTTP_X_REQUEST_ID")
    request_id = given if given and _SANE_REQUEST_ID.fullmatch(given) else _new_ids.new()
    _request_id.set(request_id)
    return request_id
