"""Where security state lives: Redis when ``REDIS_URL`` is set, the database otherwise.

Never in process memory: under ``gunicorn -w 4`` a sign-in throttle, an ended session or a used
client-assertion ``jti`` held by one worker would not hold in the other three; and never in an
evicting cache, whose eviction would quietly forget a throttle or let an assertion be replayed.
Without Redis each operation is one autocommit statement (``INSERT … ON CONFLICT … RETURNING`` on
SQLite and PostgreSQL alike), outside the request's transaction; none of it is on the token or
introspection paths of clients that authenticate with a secret.
"""

from __future__ import annotations

import hashlib
import logging
import time

from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from authserver.database import Database
from authserver.extensions import get_config
from authserver.extensions import get_db
from authserver.state.models import KEY_LENGTH
from authserver.state.models import SecurityState
from shared.cache import RedisCache

log = logging.getLogger(__name__)

# Expired rows are deleted by the first write at least this many seconds after a process's last purge.
PURGE_INTERVAL = 600

_TABLE = SecurityState.__table__


def _upsert(insert, *, add: bool):
    statement = insert(_TABLE).values(key=bindparam("key"), value=bindparam("amount"), expires_at=bindparam("expires"))
    new = statement.excluded
    if add:
        # An expired row is a fresh start: the count and its expiry begin again.
        expired = _TABLE.c.expires_at <= bindparam("now")
        changes = {
            "value": case((expired, new.value), else_=_TABLE.c.value + new.value),
            "expires_at": case((expired, new.expires_at), else_=_TABLE.c.expires_at),
        }
    else:
        changes = {"value": new.value, "expires_at": new.expires_at}
    return statement.on_conflict_do_update(index_elements=[_TABLE.c.key], set_=changes).returning(_TABLE.c.value)


_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
_INCR = {name: _upsert(insert, add=True) for name, insert in _INSERTS.items()}
_SET = {name: _upsert(insert, add=False) for name, insert in _INSERTS.items()}
_GET = select(_TABLE.c.value).where(_TABLE.c.key == bindparam("key"), _TABLE.c.expires_at > bindparam("now"))
_DELETE = delete(_TABLE).where(_TABLE.c.key == bindparam("key"))
_PURGE = delete(_TABLE).where(_TABLE.c.expires_at <= bindparam("now"))


class DatabaseStore:
    """The shared cache's counting interface (get, set, delete, incr) over the security_state table.

    Values are whole numbers (counts, or 1 for a marker), returned as strings like Redis's.
    """

    def __init__(self, database: Database, prefix: str):
        self._db = database
        self._prefix = prefix
        dialect = database.engine.dialect.name
        self._incr, self._set = _INCR[dialect], _SET[dialect]
        self._last_purge = time.time()

    def _key(self, key: str) -> str:
        key = self._prefix + key
        if len(key) > KEY_LENGTH:
            key = "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
        return key

    def get(self, key: str) -> str | None:
        row = self._db.direct(_GET).first({"key": self._key(key), "now": time.time()})
        return None if row is None else str(row[0])

    def set(self, key: str, value: str, ttl: float) -> None:
        if ttl > 0:
            self._write(self._set, key, int(value), ttl)

    def incr(self, key: str, amount: int, ttl: float) -> int:
        return self._write(self._incr, key, amount, ttl)

    def delete(self, key: str) -> None:
        self._db.direct(_DELETE).first({"key": self._key(key)})

    def ping(self) -> bool:
        self.get("ping")
        return True

    def _write(self, statement, key: str, amount: int, ttl: float) -> int:
        now = time.time()
        row = self._db.direct(statement).first(
            {"key": self._key(key), "amount": amount, "expires": now + ttl, "now": now}
        )
        if now - self._last_purge > PURGE_INTERVAL:
            self._last_purge = now
            self._db.direct(_PURGE).first({"now": now})
        return int(row[0])


class FailOpen:
    """For state whose loss errs towards letting people in, while its store is down (logged).

    A sign-in throttle that cannot count lets the attempt through (argon2 still makes each guess
    slow, and the audit trail still records it); a session that cannot be looked up on the ended
    list counts as live (signing out still clears the cookie in that browser). Refusing instead
    would lock every person out of every app for as long as Redis is away.
    """

    def __init__(self, store, purpose: str):
        self._store = store
        self._purpose = purpose

    def _call(self, method: str, default, *args):
        try:
            return getattr(self._store, method)(*args)
        except Exception as exc:  # Redis or the database away: see the class docstring
            log.warning("security state %r unavailable, failing open: %s", self._purpose, type(exc).__name__)
            return default

    def get(self, key: str) -> str | None:
        return self._call("get", None, key)

    def set(self, key: str, value: str, ttl: float) -> None:
        self._call("set", None, key, value, ttl)

    def incr(self, key: str, amount: int, ttl: float) -> int:
        return self._call("incr", 0, key, amount, ttl)

    def delete(self, key: str) -> None:
        self._call("delete", None, key)


def security_store(purpose: str, *, fail_open: bool = False):
    """The app's store for one kind of security state (keys prefixed by ``purpose``), made once.

    ``fail_open``: see FailOpen. Otherwise a store outage raises, and the request is answered 503
    (authserver/outage.py): a replay cache that cannot answer must not say "never seen".
    """
    name = f"authserver.state.{purpose}.{'open' if fail_open else 'closed'}"
    store = current_app.extensions.get(name)
    if store is None:
        redis_url = get_config().redis_url
        store = RedisCache(redis_url, f"authserver:{purpose}:") if redis_url else DatabaseStore(get_db(), f"{purpose}:")
        if fail_open:
            store = FailOpen(store, purpose)
        current_app.extensions[name] = store
    return store
