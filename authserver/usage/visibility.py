"""Whose usage a resource server may report: only clients and people whose tokens it introspected,
or whose JWT access tokens it could have validated itself.

Introspection is the moment the authorization server sees which resource server holds which
client's token, so each active answer leaves a mark: (resource server, client, person) in the
security state (Redis, or the database without it), kept two days. A usage report naming a client
or person without a mark is refused whole: a resource server cannot bill, or hide usage behind,
clients it never served. Cheap: a process writes a mark at most once an hour, and a report checks
each distinct (client, person) of its batch once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from authserver.accounts.models import User
from authserver.clients.metadata import JWT
from authserver.clients.models import Client
from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.state.services import security_store
from authserver.tokens.models import Token

MARK_TTL = 2 * 86_400
REWRITE_AFTER = 3600.0
MAX_REMEMBERED = 100_000


def _key(reporter_pk: int, client_id: str, user_sub: str | None) -> str:
    return f"{reporter_pk}:{client_id}:{user_sub or '-'}"


def saw_token(reporter_pk: int, client_id: str, user_sub: str | None) -> None:
    """Called for every active introspection answer; never fails it (the store fails open)."""
    key = _key(reporter_pk, client_id, user_sub)
    written: dict[str, float] = current_app.extensions.setdefault("authserver.usage_marks", {})
    now = time.monotonic()
    if written.get(key, -REWRITE_AFTER) > now - REWRITE_AFTER:
        return
    if len(written) >= MAX_REMEMBERED:
        written.clear()
    security_store("usage-visibility", fail_open=True).set(key, "1", MARK_TTL)
    written[key] = now


def unseen(reporter_pk: int, rows: list[dict]) -> list[tuple[str, str | None]]:
    """The (client_id, user_sub) pairs of a checked batch (``usage.services.checked``) this reporter
    never introspected a token of, nor could have validated a JWT access token of (a resource server
    checks those itself: ``jwt_issued_for``). A store outage raises (503, and the batch is sent again)."""
    pairs = {(row["client_id"], row["user_sub"]) for row in rows}
    store = security_store("usage-visibility")
    missing = [pair for pair in sorted(pairs, key=str) if store.get(_key(reporter_pk, *pair)) is None]
    if not missing:
        return missing
    # Once per pair: a pair found gets its mark like an introspected one.
    found = [pair for pair in missing if jwt_issued_for(reporter_pk, *pair)]
    for pair in found:
        saw_token(reporter_pk, *pair)
    return [pair for pair in missing if pair not in found]


def jwt_issued_for(reporter_pk: int, client_id: str, user_sub: str | None) -> bool:
    """Whether, in the last ``MARK_TTL``, the client got a JWT access token for this person (for itself
    when ``user_sub`` is None) that the reporting resource server accepts: no audience, or one naming
    its resource URL. Such a token is never introspected, so it leaves no mark."""
    since = utcnow() - timedelta(seconds=MARK_TTL)
    query = (
        select(Token.audience)
        .join(Client, Client.id == Token.client_id)
        .where(Client.client_id == client_id, Client.access_token_format == JWT, Token.issued_at > since)
    )
    if user_sub is None:
        query = query.where(Token.user_id.is_(None))
    else:
        query = query.join(User, User.id == Token.user_id).where(User.sub == user_sub)
    session = db_session()
    reporter_url = session.scalar(select(Client.resource_url).where(Client.id == reporter_pk))
    for audience in session.scalars(query.distinct().limit(100)):
        if audience is None or (reporter_url is not None and reporter_url in audience.split()):
            return True
    return False
