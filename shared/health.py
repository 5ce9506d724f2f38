"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Mapping

from flask import Blueprint
from flask import jsonify

log = logging.getLogger(__name__)

HEALTHZ_PATH = "/healthz"
READYZ_PATH = "/readyz"
HEALTH_PATHS = frozenset({HEALTHZ_PATH, READYZ_PATH})


def health_blueprint(checks: Mapping[str, Callable[[], object]]) -> Blueprint:
    """``checks`` maps a dependency's name to a callable that raises or returns falsy when it is down."""
    bp = Blueprint("health", __name__)

    @bp.get(HEALTHZ_PATH)
    def healthz():
        return jsonify(status="ok")

    @bp.get(READYZ_PATH)
    def readyz():
        results = {}
        for name, check in checks.items():
            try:
                results[name] = "ok" if check() is not False else "unavailable"
            except Exception as exc:  # any failure means "not ready", and why goes to the log
                log.warning("readiness check %s failed: %s", name, exc)
                results[name] = "unavailable"
        ready = all(value == "ok" for value in results.values())
        response = jsonify(status="ok" if ready else "unavailable", checks=results)
        response.status_code = 200 if ready else 503
        return response

    return bp
