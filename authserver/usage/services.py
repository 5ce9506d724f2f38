"""Storing metered usage and aggregating it per client and per user."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from authserver.clients.models import Client
from authserver.db import utcnow
from authserver.errors import InvalidInput
from authserver.errors import NotFound
from authserver.extensions import db_session
from authserver.usage.models import UsageRecord

MAX_BATCH = 1000
# Record member: (column, longest, may be absent).
_STRINGS = {
    "id": ("record_id", 64, True),
    "client_id": ("client_id", 255, False),
    "user_sub": ("user_sub", 64, True),
    "endpoint": ("endpoint", 64, False),
    "model": ("model", 128, True),
}
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def _record(entry) -> dict:
    if not isinstance(entry, dict):
        raise InvalidInput("each usage record must be an object")
    values = {}
    for name, (column, length, optional) in _STRINGS.items():
        value = entry.get(name)
        if value is None and optional:
            values[column] = None
        elif not isinstance(value, str) or not value or len(value) > length or not value.isprintable():
            raise InvalidInput(f"{name} must be a string of 1 to {length} printable characters")
        else:
            values[column] = value
    for name, least in (("tokens_in", 0), ("tokens_out", 0), ("requests", 1)):
        value = entry.get(name, least)
        if isinstance(value, bool) or not isinstance(value, int) or not least <= value < 2**31:
            raise InvalidInput(f"{name} must be a whole number >= {least}")
        values[name] = value
    values["at"] = _timestamp(entry.get("at"))
    return values


def _timestamp(raw) -> datetime:
    if raw is None:
        return utcnow()
    try:
        at = datetime.fromisoformat(raw)
        return at.astimezone(timezone.utc) if at.tzinfo else at.replace(tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved into UTC
        raise InvalidInput("at must be an ISO 8601 timestamp") from None


def store(entries) -> int:
    """Store a batch atomically (a batch with one bad record is refused whole); the number of
    records stored, which leaves out any stored before under the same ``id``: a batch delivered
    again because its answer was lost counts once.

    One INSERT of plain values: a busy resource server reports thousands of calls a second, and
    ORM objects for them cost the authorization server several times the insert.
    """
    return insert(checked(entries))


def checked(entries) -> list[dict]:
    """A batch's rows, each record checked; InvalidInput for the first bad one."""
    if not isinstance(entries, list) or len(entries) > MAX_BATCH:
        raise InvalidInput(f"records must be an array of at most {MAX_BATCH} objects")
    return [_record(entry) for entry in entries]


def insert(rows: list[dict]) -> int:
    """Store checked rows in one statement (see ``store``)."""
    if not rows:
        return 0
    session = db_session()
    insert = _INSERTS[session.get_bind().dialect.name]
    statement = (
        insert(UsageRecord)
        .on_conflict_do_nothing(
            index_elements=[UsageRecord.record_id],
            index_where=UsageRecord.record_id.is_not(None),
        )
        .returning(UsageRecord.id)
    )
    stored = len(session.execute(statement, rows).all())
    session.commit()
    return stored


def report(client_ids: list[str] | None = None) -> list[dict]:
    """Per client (with its name) and, inside, per user: requests and tokens in and out."""
    totals = (
        func.coalesce(func.sum(UsageRecord.requests), 0),
        func.coalesce(func.sum(UsageRecord.tokens_in), 0),
        func.coalesce(func.sum(UsageRecord.tokens_out), 0),
        func.min(UsageRecord.at),
        func.max(UsageRecord.at),
    )
    query = (
        select(UsageRecord.client_id, UsageRecord.user_sub, *totals)
        .group_by(UsageRecord.client_id, UsageRecord.user_sub)
        .order_by(UsageRecord.client_id, UsageRecord.user_sub)
    )
    if client_ids is not None:
        query = query.where(UsageRecord.client_id.in_(client_ids))
    session = db_session()
    clients: dict[str, dict] = {}
    for client_id, user_sub, requests, tokens_in, tokens_out, first, last in session.execute(query):
        entry = clients.setdefault(
            client_id,
            {
                "client_id": client_id,
                "name": None,
                "requests": 0,
                "tokens_in": 0,
                "tokens_out": 0,
                "first_at": first,
                "last_at": last,
                "users": [],
            },
        )
        entry["requests"] += int(requests)
        entry["tokens_in"] += int(tokens_in)
        entry["tokens_out"] += int(tokens_out)
        entry["first_at"], entry["last_at"] = min(entry["first_at"], first), max(entry["last_at"], last)
        if user_sub is not None:
            entry["users"].append(
                {
                    "user_sub": user_sub,
                    "requests": int(requests),
                    "tokens_in": int(tokens_in),
                    "tokens_out": int(tokens_out),
                }
            )
    named = select(Client.client_id, Client.name).where(Client.client_id.in_([*clients, *(client_ids or [])]))
    names = dict(session.execute(named).all())
    for client_id in client_ids or []:
        # A removed client's usage is still reported; an id that is neither a client nor in the records is a typo.
        if client_id not in clients and client_id not in names:
            raise NotFound(f"no client with id {client_id!r}")
    for client_id, entry in clients.items():
        entry["name"] = names.get(client_id)
    return list(clients.values())


def daily_usage(client_id: str, days: int = 30) -> list[dict]:
    """One client's requests and model tokens per day (UTC) over the last ``days`` days, newest first."""
    day = func.date(UsageRecord.at)
    rows = db_session().execute(
        select(day, func.sum(UsageRecord.requests), func.sum(UsageRecord.tokens_in + UsageRecord.tokens_out))
        .where(UsageRecord.client_id == client_id, UsageRecord.at >= utcnow() - timedelta(days=days))
        .group_by(day)
        .order_by(day.desc())
    )
    return [
        {"day": str(date), "requests": int(requests or 0), "tokens": int(tokens or 0)}
        for date, requests, tokens in rows
    ]
