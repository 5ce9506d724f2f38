"""Revocations told to the resource servers, so a revoked token is refused everywhere within a
second even where an introspection answer (or a JWT access token) is still cached.

Whatever revokes announces it (``announce_tokens``, ``announce_match``); the announcement becomes a
``RevocationEvent`` row in the same transaction as the revocation, written last before COMMIT.
Event ids grow in commit order: on PostgreSQL a transaction-scoped advisory lock, taken only
around that last insert, orders concurrent writers (SQLite writes one transaction at a time
anyway). So a resource server that has read up to an id has missed nothing before it, and
``GET /internal/revocations?after=<id>`` (``events_after``) is a complete feed. With Redis each
event is also published on ``REVOCATIONS_CHANNEL`` the moment it commits; the feed still fills any
gap (a reconnect, a failed publish).

On the wire a token is the SHA-256 hex digest of its access token (``tokens.access_token_digest``,
what resource servers key their caches by, for opaque and JWT tokens alike). An event is either
``{"tokens": [{"digest", "exp"}]}`` (a token, a family, a consent's tokens) or
``{"match": {"client_id"|"sub"|"scope": value, ...}, "issued_before", "until"}``: every token
issued at or before ``issued_before`` (its ``iat``) whose claims match, for the revocations that
cover more tokens than are worth listing (a client or user disabled, a scope withdrawn), until
``until``, when none of them can be alive any more.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from authserver.db import utcnow
from authserver.extensions import db_session
from authserver.extensions import get_config
from authserver.tokens.models import RevocationEvent
from shared.paths import REVOCATIONS_CHANNEL

log = logging.getLogger(__name__)

# Events in one answer of the feed; a resource server asks again at once while there are more.
FEED_PAGE = 500
# pg_advisory_xact_lock's key for the event insert (any constant no other lock of ours uses).
_ORDER_LOCK = 0x7265766F6B65  # "revoke"
_PENDING = "revocations.pending"
_WRITTEN = "revocations.written"


def announce_tokens(tokens: Iterable[tuple[str, datetime]], reason: str) -> None:
    """Tell resource servers these access tokens (digest, expiry) are revoked; commits with the caller.
    Tokens already expired are left out; nothing is announced when none is left."""
    now = utcnow()
    live = [(token_digest, expires) for token_digest, expires in tokens if expires > now]
    if not live:
        return
    payload = {
        "reason": reason,
        "tokens": [{"digest": token_digest, "exp": int(expires.timestamp())} for token_digest, expires in live],
    }
    _pending(payload, max(expires for _, expires in live))


def announce_match(reason: str, **match: str) -> None:
    """Tell resource servers every access token issued until now whose ``client_id`` / ``sub`` is this,
    or that carries this ``scope`` (then only the scope is withdrawn), is revoked; commits with the caller."""
    now = utcnow()
    until = now + timedelta(seconds=get_config().access_token_ttl)
    payload = {
        "reason": reason,
        "match": match,
        # iat is whole seconds: a token issued in this second, before now, has iat == issued_before.
        "issued_before": int(now.timestamp()),
        "until": int(until.timestamp()) + 1,
    }
    _pending(payload, until)


def _pending(payload: dict, expires_at: datetime) -> None:
    session = db_session()
    session.connection()  # the announcement belongs to a transaction: begun now if not yet
    session.info.setdefault(_PENDING, []).append(RevocationEvent(expires_at=expires_at, payload=payload))


def events_after(after: int) -> tuple[list[dict], int, bool]:
    """The events committed after id ``after`` whose tokens may still be alive, oldest first, at most
    ``FEED_PAGE``; the cursor to ask with next; whether more are waiting. A resource server starts
    from 0: a JWT revoked before it started must be refused by it too."""
    session = db_session()
    latest = session.scalar(select(func.max(RevocationEvent.id))) or 0
    # A cursor past the newest id names a database since replaced: start again from its events.
    after = 0 if after > latest else after
    rows = session.execute(
        select(RevocationEvent.id, RevocationEvent.payload)
        .where(RevocationEvent.id > after, RevocationEvent.id <= latest, RevocationEvent.expires_at > utcnow())
        .order_by(RevocationEvent.id)
        .limit(FEED_PAGE + 1)
    ).all()
    more = len(rows) > FEED_PAGE
    events = [{"id": row.id, **row.payload} for row in rows[:FEED_PAGE]]
    return events, (events[-1]["id"] if more else latest), more


def purge_expired(now: datetime) -> int:
    """Drop events that cover no token still alive; the caller commits."""
    return db_session().execute(delete(RevocationEvent).where(RevocationEvent.expires_at < now)).rowcount


def init_app(app, session_factory) -> None:
    """Write each session's announcements as it commits, and publish them once committed."""
    publisher = _Publisher(app.extensions["authserver.config"].redis_url)
    event.listen(session_factory, "before_commit", _write)
    event.listen(session_factory, "after_commit", publisher.after_commit)
    # Soft: a rollback with no transaction begun yet must drop what was announced all the same.
    event.listen(session_factory, "after_soft_rollback", _forget)


def _write(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    # Everything else the transaction changes goes first: the ordering lock, taken last, is held
    # only for the insert and the COMMIT, and never while waiting for another lock.
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_ORDER_LOCK)))
    session.add_all(pending)
    session.flush()
    session.info[_WRITTEN] = [{"id": row.id, **row.payload} for row in pending]


def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:  # a savepoint: the transaction that revoked goes on
        return
    session.info.pop(_PENDING, None)
    session.info.pop(_WRITTEN, None)


class _Publisher:
    """Publishes committed events on Redis; without REDIS_URL, resource servers poll the feed instead."""

    def __init__(self, redis_url: str | None):
        self._redis = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)

    def after_commit(self, session: Session) -> None:
        written = session.info.pop(_WRITTEN, None)
        if not written or self._redis is None:
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                for item in written:
                    pipe.publish(REVOCATIONS_CHANNEL, json.dumps(item, separators=(",", ":")))
                pipe.execute()
        except Exception as exc:  # the revocation stands; resource servers find it in the feed
            log.warning(
                "revocation not published (%s); resource servers will read it from the feed", type(exc).__name__
            )
