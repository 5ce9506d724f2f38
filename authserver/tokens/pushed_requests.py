"""Pushed authorization requests (RFC 9126): store, open, use up.

The ``request_uri`` is a 256-bit credential under the URN prefix of RFC 9126 §2.2; only its SHA-256
digest is stored. A pushed request must be brought to the authorization endpoint within
``expires_in``; the first visit opens it for ``OPEN_SECONDS`` (sign-in and consent may take longer
than the push's minute and a half) and binds it to that visit's browser, and the authorization
response uses it up, once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy import update

from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.tokens.models import PushedAuthorizationRequest
from shared.security import digest
from shared.security import new_credential

REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:"
# RFC 9126 §2.2: "expires_in", a short lifetime; the example uses 60 seconds.
EXPIRES_IN = 90
# As long as an authorization code lives before exchange is pointless; a sign-in is minutes.
OPEN_SECONDS = 600

# Why a request_uri is refused, as the person is told (RFC 9126 §4).
UNKNOWN = "The sign-in link is unknown or was issued to another app."
EXPIRED = "The sign-in link has expired; start again from the app."
USED = "The sign-in link was already used; start again from the app."
OTHER_BROWSER = (
    "The sign-in link is already open in another browser. Finish signing in there, "
    "or start again from the app in this browser."
)


@dataclass(frozen=True)
class PushedRequest:
    id: int
    parameters: list[tuple[str, str]]


class RequestURIRefused(Exception):
    """The ``request_uri`` cannot be used; the message says why, for the person."""


def push(client_pk: int, parameters: list[tuple[str, str]]) -> str:
    """Store the request; returns its ``request_uri`` (never stored as such)."""
    request_uri = REQUEST_URI_PREFIX + new_credential()
    now = utcnow()
    session = db_session()
    session.add(
        PushedAuthorizationRequest(
            request_uri_digest=digest(request_uri),
            client_id=client_pk,
            parameters=[list(pair) for pair in parameters],
            created_at=now,
            expires_at=now + timedelta(seconds=EXPIRES_IN),
        )
    )
    session.commit()
    return request_uri


def open_request(request_uri: str, client_pk: int | None, browser: str) -> PushedRequest:
    """The live request ``client_pk`` pushed under ``request_uri``; opened on the first visit, by
    the browser holding the secret ``browser``, and from then on only for that browser.

    Raises ``RequestURIRefused`` for one unknown, pushed by another client, expired, used up, or
    opened by another browser.
    """
    session = db_session()
    row = session.scalars(
        select(PushedAuthorizationRequest).where(PushedAuthorizationRequest.request_uri_digest == digest(request_uri))
    ).first()
    if row is None or client_pk is None or row.client_id != client_pk:
        raise RequestURIRefused(UNKNOWN)
    if row.used_at is not None:
        raise RequestURIRefused(USED)
    now = utcnow()
    if row.expires_at <= now:
        raise RequestURIRefused(EXPIRED)
    browser_digest = digest(browser)
    bound = row.browser_digest or _bind(row, browser_digest)
    if not hmac.compare_digest(bound, browser_digest):
        # A request_uri seen over someone's shoulder, or leaked from a log, is worth nothing elsewhere.
        raise RequestURIRefused(OTHER_BROWSER)
    return PushedRequest(row.id, [(name, value) for name, value in row.parameters])


def _bind(row: PushedAuthorizationRequest, browser_digest: str) -> str:
    """Open the request for this browser; one conditional UPDATE, so of two browsers racing to open
    it exactly one wins. Returns the digest it is bound to (the winner's). A request opened before
    bindings were recorded keeps its opening time."""
    now = utcnow()
    values = {"browser_digest": browser_digest}
    if row.opened_at is None:
        values.update(opened_at=now, expires_at=now + timedelta(seconds=OPEN_SECONDS))
    session = db_session()
    table = PushedAuthorizationRequest
    won = session.execute(
        update(table).where(table.id == row.id, table.browser_digest.is_(None)).values(**values)
    ).rowcount
    session.commit()
    if won:
        return browser_digest
    return session.scalar(select(table.browser_digest).where(table.id == row.id)) or ""


def replace_parameters(request_id: int, parameters: list[tuple[str, str]]) -> None:
    """What the sign-in satisfied (``prompt=login``, ``max_age``) is not asked for again on return."""
    session = db_session()
    session.execute(
        update(PushedAuthorizationRequest)
        .where(PushedAuthorizationRequest.id == request_id)
        .values(parameters=[list(pair) for pair in parameters])
    )
    session.commit()


def use(request_id: int) -> bool:
    """Use the request up; True for exactly one caller however many race."""
    session = db_session()
    result = session.execute(
        update(PushedAuthorizationRequest)
        .where(PushedAuthorizationRequest.id == request_id, PushedAuthorizationRequest.used_at.is_(None))
        .values(used_at=utcnow())
    )
    session.commit()
    return result.rowcount == 1
