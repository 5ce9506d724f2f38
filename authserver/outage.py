"""A database that does not answer is an outage to report, not a server error.

Every endpoint answers 503 with ``Retry-After`` in RFC 6749 §5.2's shape
(``temporarily_unavailable``, the error code RFC 6749 §4.1.2.1 names for an overloaded or
unavailable server) while the database is stopped, unreachable or too slow
(``authserver.database``'s connect, statement and pool timeouts bound the wait), or while Redis is away
for state that must not fail open (a client assertion's replay check, authserver/state). Pooled connections are
checked before use, so once the database is back the next request succeeds: no restart needed.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.errors import oauth_error

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5


def temporarily_unavailable(what: str):
    response = oauth_error("temporarily_unavailable", f"The {what} is temporarily unavailable; try again shortly.", 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_outage_errors(app: Flask) -> None:
    # OperationalError covers a refused or dropped connection, a statement timeout, a locked SQLite
    # file; PoolTimeout, every pooled connection busy for POOL_TIMEOUT seconds.
    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(exc: Exception):
        cause = getattr(exc, "orig", None) or exc
        log.warning("database unavailable: %s", type(cause).__name__)
        return temporarily_unavailable("service")

    try:
        from redis import RedisError
    except ImportError:  # installed without the redis extra: REDIS_URL cannot be in use
        return

    @app.errorhandler(RedisError)
    def redis_unavailable(exc: Exception):
        log.warning("redis unavailable: %s", type(exc).__name__)
        return temporarily_unavailable("service")
