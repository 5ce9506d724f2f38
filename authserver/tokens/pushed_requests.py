"""Pushed authorization requests (RFC 9126): store, open, use up.

The ``request_uri`` is a 256-bit credential under the URN prefix of RFC 9126 §2.2; only its SHA-256
digest is stored. A pushed request must be brought to the authorization endpoint within
``expires_in``; the first visit opens it for ``OPEN_SECONDS`` (sign-in and consent may take longer
than the push's minute and a half), and the authorization response uses it up, once.
"""

from __future__ import annotations

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


def open_request(request_uri: str, client_pk: int | None) -> PushedRequest:
    """The live request ``client_pk`` pushed under ``request_uri``; opened on the first visit.

    Raises ``RequestURIRefused`` for one unknown, pushed by another client, expired or used up.
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
    if row.opened_at is None:
        session.execute(
            update(PushedAuthorizationRequest)
            .where(PushedAuthorizationRequest.id == row.id, PushedAuthorizationRequest.opened_at.is_(None))
            .values(opened_at=now, expires_at=now + timedelta(seconds=OPEN_SECONDS))
        )
        session.commit()
    return PushedRequest(row.id, [(name, value) for name, value in row.parameters])


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
