"""Friendly HTML error pages for the pages people see (protocol endpoints keep their JSON shapes)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint
from flask import render_template
from flask import request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from authserver.accounts.redirects import safe_next

log = logging.getLogger(__name__)

TITLES = {
    400: "Something was wrong with that request",
    403: "You can't do that",
    404: "Page not found",
    405: "That doesn't work here",
    429: "Too many attempts",
}


def html_error(status: int, title: str, message: str, back_url: str | None = None):
    """An error page for people; what happened, in words, never internals."""
    body = render_template("error.html", title=title, message=message, back_url=back_url)
    return body, status, {"Cache-Control": "no-store"}


def csrf_error(exc: CSRFError):
    return html_error(
        400,
        "This form has expired",
        "The page was open too long or was sent from somewhere else. Go back, reload it and try again.",
        _same_origin_referrer(),
    )


def register_html_errors(bp: Blueprint) -> None:
    """Every error raised while serving ``bp``'s pages renders error.html instead of JSON.

    Every page it serves is also kept out of shared caches (they hold CSRF tokens and who is signed
    in) and out of other sites' frames (clickjacking a sign-in or a revocation, RFC 9700 §4.16).
    """
    bp.register_error_handler(CSRFError, csrf_error)
    bp.after_request(page_headers)

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        return html_error(status, TITLES.get(status, "Something went wrong"), exc.description or exc.name)

    @bp.errorhandler(Exception)
    def unhandled(exc: Exception):
        log.exception("unhandled error on a page")
        return html_error(500, "Something went wrong", "The server hit an unexpected error. Please try again.")


def page_headers(response):
    """No shared cache keeps a page (CSRF tokens, who is signed in); framing and the rest of the
    security headers are every page's (authserver/headers.py)."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _same_origin_referrer() -> str | None:
    """The page the form came from, when it is one of ours: where "Go back" should lead."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""), default="") or None
