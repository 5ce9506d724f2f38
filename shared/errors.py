"""JSON error shapes, so that no request ever gets an HTML page or a traceback."""

from __future__ import annotations

import logging

from flask import Flask
from flask import Response
from flask import jsonify
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def oauth_error(error: str, description: str, status: int) -> Response:
    """RFC 6749 §5.2 error body."""
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def register_json_errors(app: Flask, render=None) -> None:
    """Turn every HTTP error and unhandled exception into JSON.

    ``render(status, name, description)`` may build the body in the app's own shape.
    """

    def shape(status: int, name: str, description: str) -> Response:
        if render is not None:
            return render(status, name, description)
        response = jsonify(error=name, error_description=description)
        response.status_code = status
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        response = shape(exc.code or 500, _snake(exc.name), exc.description or exc.name)
        original = exc.get_response().headers
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if original.get(header):
                response.headers[header] = original[header]
        return response

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        log.exception("unhandled error")
        return shape(500, "server_error", "The server hit an unexpected error.")


def _snake(name: str) -> str:
    return name.lower().replace(" ", "_").replace("'", "")
