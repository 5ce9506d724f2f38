"""The floor under scenarios (a) and (b): a bare Flask app doing only what a token or an introspection
request cannot do without, on the same database and table as the authorization server.

``POST /token``: the client's Basic credentials checked (one SHA-256, compared in constant time), a
256-bit token made, its SHA-256 stored by one INSERT into ``tokens`` (every index of ours updated),
the JSON answer. ``POST /introspect``: the resource server's credentials checked the same way, the
token's SHA-256 looked up by one indexed SELECT (with its client's id), the JSON answer. No Authlib,
no ORM, no hooks, no metrics: no real token endpoint can do better. Served exactly like the apps.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from urllib.parse import unquote

from flask import Flask
from flask import Response
from flask import request

DATABASE_ENV = "BENCH_FLOOR_DATABASE"  # a SQLite file path, or a PostgreSQL URL
CLIENTS_ENV = "BENCH_FLOOR_CLIENTS"  # JSON: {client_id: SHA-256 hex of its secret}
HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}

app = Flask(__name__)
_database = os.environ.get(DATABASE_ENV, "")
_postgres = _database.startswith("postgresql")
_clients: dict[str, str] = json.loads(os.environ.get(CLIENTS_ENV, "{}"))
_local = threading.local()
_param = "%s" if _postgres else "?"
INSERT = (
    "INSERT INTO tokens (access_token_digest, client_id, scope, issued_at, access_expires_at) "
    f"VALUES ({_param}, {_param}, {_param}, {_param}, {_param})"
)
SELECT = (
    "SELECT tokens.scope, tokens.issued_at, tokens.access_expires_at, clients.client_id FROM tokens "
    f"JOIN clients ON clients.id = tokens.client_id WHERE tokens.access_token_digest = {_param}"
)


def _connection():
    connection = getattr(_local, "connection", None)
    if connection is None:
        if _postgres:
            import psycopg

            connection = psycopg.connect(_database.replace("postgresql+psycopg", "postgresql"), autocommit=True)
        else:
            import sqlite3

            connection = sqlite3.connect(_database, isolation_level=None, check_same_thread=False, timeout=30)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "wal_autocheckpoint=10000"):
                connection.execute(f"PRAGMA {pragma}")
        _local.connection = connection
    return connection


def close() -> None:
    """Close this thread's connection (a test's; a served floor keeps its own until it exits)."""
    connection = _local.__dict__.pop("connection", None)
    if connection is not None:
        connection.close()


def _client_id() -> str | None:
    """The client whose Basic credentials (RFC 6749 §2.3.1) match, else None."""
    scheme, _, encoded = request.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    client_id, secret = unquote(client_id), unquote(secret)
    expected = _clients.get(client_id)
    given = hashlib.sha256(secret.encode()).hexdigest()
    return client_id if expected is not None and hmac.compare_digest(given, expected) else None


def _stamp(moment: datetime):
    return moment if _postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _answer(payload: dict, status: int = 200) -> Response:
    return Response(json.dumps(payload), status, HEADERS, mimetype="application/json")


@app.post("/token")
def token() -> Response:
    client_id = _client_id()
    if client_id is None or request.form.get("grant_type") != "client_credentials":
        return _answer({"error": "invalid_client"}, 401)
    connection = _connection()
    client_pk = _local.__dict__.setdefault("pks", {}).get(client_id)
    if client_pk is None:
        row = connection.execute(f"SELECT id FROM clients WHERE client_id = {_param}", (client_id,)).fetchone()
        client_pk = _local.pks[client_id] = row[0]
    value = secrets.token_urlsafe(32)
    now = datetime.now(timezone.utc)
    scope = request.form.get("scope", "")
    connection.execute(
        INSERT,
        (hashlib.sha256(value.encode()).hexdigest(), client_pk, scope, _stamp(now), _stamp(now + timedelta(hours=1))),
    )
    return _answer({"access_token": value, "token_type": "Bearer", "expires_in": 3600, "scope": scope})


@app.post("/introspect")
def introspect() -> Response:
    if _client_id() is None:
        return _answer({"error": "invalid_client"}, 401)
    value = request.form.get("token", "")
    row = _connection().execute(SELECT, (hashlib.sha256(value.encode()).hexdigest(),)).fetchone()
    if row is None:
        return _answer({"active": False})
    scope, issued_at, expires_at, client_id = row
    if not _postgres:
        issued_at, expires_at = (
            datetime.fromisoformat(v).replace(tzinfo=timezone.utc) for v in (issued_at, expires_at)
        )
    return _answer(
        {
            "active": expires_at > datetime.now(timezone.utc),
            "scope": scope,
            "client_id": client_id,
            "exp": int(expires_at.timestamp()),
            "iat": int(issued_at.timestamp()),
            "token_type": "Bearer",
        }
    )


@app.get("/healthz")
def healthz() -> str:
    return "ok"
