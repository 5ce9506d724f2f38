"""Whose usage a resource server may report: only clients and people whose tokens it introspected.

Introspection is the one moment the authorization server sees which resource server holds which
client's token, so each active answer leaves a mark: (resource server, client, person) in the
security state (Redis, or the database without it), kept two days. A usage report naming a client
or person without a mark is refused whole: a resource server cannot bill, or hide usage behind,
clients it never served. Cheap: a process writes a mark at most once an hour, and a report checks
each distinct (client, person) of its batch once.
"""

from __future__ import annotations

import time

from flask import current_app

from authserver.state.services import security_store

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
    never introspected a token of. A store outage raises (503, and the batch is sent again)."""
    pairs = {(row["client_id"], row["user_sub"]) for row in rows}
    store = security_store("usage-visibility")
    return [pair for pair in sorted(pairs, key=str) if store.get(_key(reporter_pk, *pair)) is None]
