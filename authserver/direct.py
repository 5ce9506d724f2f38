"""Direct statements: the hot paths' few queries, compiled once and run on DBAPI connections of their own.

For the statements on the hot paths (one per token request, one per introspection), the session,
pool checkout, execution context and result objects around them cost ten times the indexed query
itself; ``DirectStatement`` skips them, ``DirectConnections`` keeps the connections it runs on.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql import Executable

from shared.forks import reset_in_child

log = logging.getLogger(__name__)


class DirectConnections:
    """DBAPI connections in autocommit mode for direct statements, idle ones kept for reuse.

    Each statement is its own transaction: on SQLite the write lock is taken and released inside one
    call into the library, with no Python (and no wait for the GIL) in between. Checking one out is
    a list pop: no pool bookkeeping, no reset on return, no ping round trip. A connection found
    dropped (a restarted database) is replaced and the statement run once more.

    ``session``: for an in-memory SQLite database, which is its one connection; statements then run
    in the request's session, as any other query would.
    """

    def __init__(self, engine: Engine, session: scoped_session | None = None, max_idle: int = 32):
        self.engine = engine
        self.dialect = engine.dialect
        self.max_idle = max_idle
        self._dbapi_error = engine.dialect.loaded_dbapi.Error
        self._idle: list = []
        self._session = session
        # A forked worker must not share its parent's sockets or file handles: it starts afresh.
        reset_in_child(self, DirectConnections._forget_idle)

    def first_row(self, sql: str, values, *, writes: bool = False) -> tuple | None:
        if log.isEnabledFor(logging.DEBUG):
            # Like SQLAlchemy's engine log (which these statements bypass): the SQL, never the values.
            log.debug("%s", sql)
        if self._session is not None:
            return self._run_in_session(sql, values, writes)
        return self._first_row(sql, values)

    def _first_row(self, sql: str, values) -> tuple | None:
        try:
            connection = self._idle.pop()
        except IndexError:
            return self._run(self._connect(), sql, values)
        try:
            return self._run(connection, sql, values)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        # The idle connection had been dropped (a restarted database): once more, on a new one.
        return self._run(self._connect(), sql, values)

    def _run(self, connection, sql: str, values) -> tuple | None:
        try:
            cursor = connection.cursor()
            cursor.execute(sql, values)
            row = cursor.fetchone() if cursor.description else None
            cursor.close()
        except self._dbapi_error as exc:
            # Asked before closing: a closed connection looks dropped to psycopg's dialect, and every
            # error (a constraint, a timeout) would then be run again on a new connection.
            dropped = self.dialect.is_disconnect(exc, connection, None)
            _close_quietly(connection)
            raise DBAPIError.instance(
                sql, values, exc, self._dbapi_error, dialect=self.dialect, connection_invalidated=dropped
            ) from exc
        except BaseException:
            _close_quietly(connection)
            raise
        if len(self._idle) < self.max_idle:
            self._idle.append(connection)
        else:
            _close_quietly(connection)
        return row

    def _run_in_session(self, sql: str, values, writes: bool) -> tuple | None:
        session = self._session()
        params = tuple(values) if isinstance(values, list) else values
        result = session.connection().exec_driver_sql(sql, params)
        row = result.first() if result.returns_rows else None
        if writes:
            session.commit()
        return tuple(row) if row is not None else None

    def _connect(self):
        try:
            pooled = self.engine.raw_connection()  # runs the engine's connect hooks (SQLite pragmas)
        except self._dbapi_error as exc:
            # As SQLAlchemy's own exception, as every other database error: a refused connection
            # is then an OperationalError (a 503 to the caller, see authserver/outage.py).
            raise DBAPIError.instance(
                None, None, exc, self._dbapi_error, dialect=self.dialect, connection_invalidated=True
            ) from exc
        pooled.detach()
        connection = pooled.dbapi_connection
        self.dialect.set_isolation_level(connection, "AUTOCOMMIT")
        return connection

    def _forget_idle(self) -> None:
        self._idle = []

    def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            _close_quietly(connection)


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:  # already broken: nothing more to release
        pass


class DirectStatement:
    """A Core statement compiled once and run on a direct connection, one row back at most.

    For the statements on the hot paths (one per token request, one per introspection): the session,
    pool checkout, execution context and result objects around them cost ten times the indexed
    query itself. Values still pass through each column type's bind and result processors, and
    DBAPI errors still surface as SQLAlchemy's exceptions. Never part of the session's transaction.
    """

    def __init__(self, connections: DirectConnections, statement: Executable):
        dialect = connections.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self._connections = connections
        self._writes = statement.is_dml
        self._positional = dialect.positional
        names = list(compiled.positiontup) if dialect.positional else list(compiled.binds)
        binds = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names]
        # A processor that turns None into None (most: not JSON's, which writes null) is not called
        # for None: a token row has more NULL columns than set ones.
        self._binds = [(name, processor, processor is None or processor(None) is None) for name, processor in binds]
        processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "exported_columns", ())
        ]
        # Only the columns whose values need converting (dates on SQLite, for one); NULL stays None.
        self._results = [
            (index, processor, processor(None) is None) for index, processor in enumerate(processors) if processor
        ]

    def first(self, params: dict) -> tuple | None:
        """The first row the statement returns, None if none (or if it returns no rows)."""
        values = [
            value if processor is None or (value is None and keeps_none) else processor(value)
            for name, processor, keeps_none in self._binds
            for value in (params[name],)
        ]
        if not self._positional:
            values = dict(zip((name for name, _, _ in self._binds), values))
        row = self._connections.first_row(self.sql, values, writes=self._writes)
        if row is None or not self._results:
            return row
        row = list(row)
        for index, processor, keeps_none in self._results:
            value = row[index]
            if value is not None or not keeps_none:
                row[index] = processor(value)
        return tuple(row)
