"""The engine and the per-request session (``Database``), with the bounds that keep a stopped
database from hanging a request."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy import create_engine
from sqlalchemy import event
from sqlalchemy.orm import scoped_session
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import Executable

from authserver.direct import DirectConnections
from authserver.direct import DirectStatement

# A stopped or unreachable PostgreSQL must cost a request seconds, not a hang: each bound below ends in
# an error that authserver/outage.py answers with 503 and Retry-After.
CONNECT_TIMEOUT = 3
STATEMENT_TIMEOUT_MS = 10_000
POOL_TIMEOUT = 5


def make_engine(url: str, *, serving: bool = False) -> Engine:
    """``serving``: the app's engine, whose statements are bounded (migrations may take longer)."""
    if url.startswith("sqlite"):
        in_memory = url in ("sqlite://", "sqlite:///:memory:")
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, object] = {"connect_timeout": CONNECT_TIMEOUT}
    if serving:
        connect_args["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    return create_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=POOL_TIMEOUT, connect_args=connect_args
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL with synchronous=NORMAL: durable across process crashes, ~40x cheaper commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # A checkpoint copies the latest version of every page in the WAL back into the database, and
    # a busy token endpoint rewrites the same few index pages with every INSERT: the larger the
    # WAL between checkpoints, the fewer copies per token. SQLite's default of 1,000 pages cost
    # tokens 9 % more CPU than 10,000 (a WAL of up to ~40 MB); beyond, nothing more to gain.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.close()


class Database:
    """Engine plus a thread-scoped session, removed at the end of each app context."""

    def __init__(self, url: str):
        self.engine = make_engine(url, serving=True)
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self.session_factory)
        in_memory = isinstance(self.engine.pool, StaticPool)
        self._direct_connections = DirectConnections(self.engine, session=self.session if in_memory else None)
        self._direct: dict[Executable, DirectStatement] = {}

    def direct(self, statement: Executable) -> DirectStatement:
        """``statement`` compiled for this engine, once (statements are module-level constants)."""
        compiled = self._direct.get(statement)
        if compiled is None:
            compiled = self._direct[statement] = DirectStatement(self._direct_connections, statement)
        return compiled

    def remove(self, _exc=None) -> None:
        # Most client-endpoint requests never open a session (direct statements): nothing to close.
        if self.session.registry.has():
            self.session.remove()

    def dispose(self) -> None:
        self.session.remove()
        self._direct_connections.close()
        self.engine.dispose()
