"""The floors under scenarios (a), (b), (c), (d) and (g): a bare Flask app doing only what a token,
an introspection or an API request cannot do without, on the same database and table as the
authorization server.

``POST /token``: the client's Basic credentials checked (one SHA-256, compared in constant time), a
256-bit token made, its SHA-256 stored by one INSERT into ``tokens`` (every index of ours updated),
the JSON answer. ``POST /introspect``: the resource server's credentials checked the same way, the
token's SHA-256 looked up by one indexed SELECT (with its client's id), the JSON answer.
``GET /me`` (under (c), a warm cache): the Bearer token's SHA-256 looked up in a dict of what
introspection answered for it (given at start), its ``exp`` checked. ``GET /me-jwt`` (under (g)): the
RFC 9068 JWT split, its header and claims decoded, its RS256 or ES256 signature checked with
``cryptography`` against the authorization server's JWKS (given at start), ``typ``, ``iss`` and
``exp`` checked. ``GET /me-introspect`` (under (d), the cache off): the Bearer token sent in one
POST to an introspection endpoint (another floor's ``/introspect``, as (d)'s resource server asks
the authorization server) with the resource server's Basic credentials, over a kept-alive
connection of the resource server's own client, the JSON answer parsed, ``active`` and ``exp``
checked. All three then count the call in a per-client, per-minute counter under a lock and
answer /v1/me's JSON with its three X-RateLimit-* headers. No Authlib, no ORM, no joserfc, no
hooks, no metrics: no real endpoint can do better. Served exactly like the apps.
``benchmarks/floor_authlib.py`` adds ``POST /token-authlib``, the floor of (a) with Authlib's grant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import os
import secrets
import threading
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from urllib.parse import quote
from urllib.parse import unquote

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from flask import Flask
from flask import Response
from flask import request

from resource.http import KeepAlivePool

DATABASE_ENV = "BENCH_FLOOR_DATABASE"  # a SQLite file path, or a PostgreSQL URL
CLIENTS_ENV = "BENCH_FLOOR_CLIENTS"  # JSON: {client_id: SHA-256 hex of its secret}
ANSWERS_ENV = "BENCH_FLOOR_ANSWERS"  # JSON: {SHA-256 hex of a token: what introspection answered for it}
JWKS_ENV = "BENCH_FLOOR_JWKS"  # JSON: the authorization server's JWKS
ISSUER_ENV = "BENCH_FLOOR_ISSUER"  # the authorization server's issuer, for JWT access tokens' iss
INTROSPECTION_ENV = "BENCH_FLOOR_INTROSPECTION"  # the introspection endpoint's URL, for /me-introspect
INTROSPECTION_AUTH_ENV = "BENCH_FLOOR_INTROSPECTION_AUTH"  # its Authorization: the resource server's Basic
HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
# As the bench's resource servers (benchmarks/instance.py): counted on every call, never reached.
RATE_LIMIT_PER_MINUTE = 10**9
ACCESS_TOKEN_TYP = "at+jwt"  # RFC 9068 §2.1
EXPIRES_IN = 3600  # seconds, a client_credentials access token's lifetime

app = Flask(__name__)
_database = os.environ.get(DATABASE_ENV, "")
_postgres = _database.startswith("postgresql")
clients: dict[str, str] = json.loads(os.environ.get(CLIENTS_ENV, "{}"))
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
    """Close this thread's database connection and the idle introspection connections (a test's; a
    served floor keeps its own until it exits)."""
    connection = _local.__dict__.pop("connection", None)
    if connection is not None:
        connection.close()
    _introspection.clear()


def digest(value: str) -> str:
    """The SHA-256 hex under which secrets and tokens are stored and looked up."""
    return hashlib.sha256(value.encode()).hexdigest()


def _credentials(scheme: str) -> str | None:
    """What the Authorization header carries under ``scheme`` (``basic`` or ``bearer``), else None."""
    given, _, value = request.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    return value if given.lower() == scheme else None


def _client_id() -> str | None:
    """The client whose Basic credentials (RFC 6749 §2.3.1) match, else None."""
    encoded = _credentials("basic")
    if encoded is None:
        return None
    client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    client_id, secret = unquote(client_id), unquote(secret)
    return client_id if secret_matches(client_id, secret) else None


def secret_matches(client_id: str, secret: str) -> bool:
    """Whether ``secret``'s SHA-256 is the client's, compared in constant time."""
    expected = clients.get(client_id)
    return expected is not None and hmac.compare_digest(digest(secret), expected)


def _stamp(moment: datetime):
    return moment if _postgres else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _answer(payload: dict, status: int = 200, headers: dict[str, str] = HEADERS) -> Response:
    return Response(json.dumps(payload), status, headers, mimetype="application/json")


@app.post("/token")
def token() -> Response:
    client_id = _client_id()
    if client_id is None or request.form.get("grant_type") != "client_credentials":
        return _answer({"error": "invalid_client"}, 401)
    value = secrets.token_urlsafe(32)
    scope = request.form.get("scope", "")
    store_token(client_id, value, scope)
    return _answer({"access_token": value, "token_type": "Bearer", "expires_in": EXPIRES_IN, "scope": scope})


def store_token(client_id: str, value: str, scope: str) -> None:
    """The token's SHA-256 stored by one INSERT into ``tokens`` (the client's primary key looked up
    once per thread)."""
    connection = _connection()
    client_pk = _local.__dict__.setdefault("pks", {}).get(client_id)
    if client_pk is None:
        row = connection.execute(f"SELECT id FROM clients WHERE client_id = {_param}", (client_id,)).fetchone()
        client_pk = _local.pks[client_id] = row[0]
    now = datetime.now(timezone.utc)
    expires = now + timedelta(seconds=EXPIRES_IN)
    connection.execute(INSERT, (digest(value), client_pk, scope, _stamp(now), _stamp(expires)))


@app.post("/introspect")
def introspect() -> Response:
    if _client_id() is None:
        return _answer({"error": "invalid_client"}, 401)
    value = request.form.get("token", "")
    row = _connection().execute(SELECT, (digest(value),)).fetchone()
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
            "sub": client_id,  # a client_credentials token's, as the authorization server answers
            "exp": int(expires_at.timestamp()),
            "iat": int(issued_at.timestamp()),
            "token_type": "Bearer",
        }
    )


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _number(segment: str) -> int:
    return int.from_bytes(_b64decode(segment), "big")


def _verifier(jwk: dict):
    """(alg, verify(signature, message)) of a public JWK: RS256 over RSA, ES256 over P-256 (the
    algorithms the authorization server signs with, authserver/tokens/keys.py); None for another."""
    if jwk.get("kty") == "RSA":
        rsa_key = rsa.RSAPublicNumbers(_number(jwk["e"]), _number(jwk["n"])).public_key()
        return "RS256", lambda signature, message: rsa_key.verify(
            signature, message, padding.PKCS1v15(), hashes.SHA256()
        )
    if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
        ec_key = ec.EllipticCurvePublicNumbers(_number(jwk["x"]), _number(jwk["y"]), ec.SECP256R1()).public_key()

        def verify(signature: bytes, message: bytes) -> None:
            # RFC 7518 §3.4: R || S, 32 bytes each, where cryptography takes DER.
            if len(signature) != 64:
                raise InvalidSignature()
            r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            ec_key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))

        return "ES256", verify
    return None


_answers = {
    key: answer for key, answer in json.loads(os.environ.get(ANSWERS_ENV, "{}")).items() if answer.get("active")
}
_keys = {
    jwk["kid"]: verifier
    for jwk in json.loads(os.environ.get(JWKS_ENV, '{"keys": []}'))["keys"]
    if (verifier := _verifier(jwk)) is not None
}
_issuer = os.environ.get(ISSUER_ENV, "")
_introspection_url = os.environ.get(INTROSPECTION_ENV, "http://127.0.0.1:9/")
_introspection = KeepAlivePool(_introspection_url, timeout=5.0)
_introspection_target = _introspection.target(_introspection_url)
# As the resource server's (resource/introspection.py): every header but Content-Length, built once.
_introspection_headers = (
    f"Authorization: {os.environ.get(INTROSPECTION_AUTH_ENV, '')}\r\nAccept: application/json\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
).encode("ascii")
_counter_lock = threading.Lock()
_counter: dict = {"window": None, "calls": {}}


def _unauthorized() -> Response:
    return _answer({"error": "invalid_token"}, 401, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _me(claims: dict) -> Response:
    """The call counted in its client's minute, then /v1/me's JSON with the X-RateLimit-* headers."""
    now = time.time()
    window = int(now // 60)
    with _counter_lock:
        if _counter["window"] != window:
            _counter["window"], _counter["calls"] = window, {}
        calls = _counter["calls"]
        count = calls[claims["client_id"]] = calls.get(claims["client_id"], 0) + 1
    headers = {
        "X-RateLimit-Limit": str(RATE_LIMIT_PER_MINUTE),
        "X-RateLimit-Remaining": str(max(0, RATE_LIMIT_PER_MINUTE - count)),
        "X-RateLimit-Reset": str(max(1, math.ceil((window + 1) * 60 - now))),
    }
    if count > RATE_LIMIT_PER_MINUTE:
        return _answer({"error": "rate_limit_exceeded"}, 429, headers)
    body = {key: claims.get(key) for key in ("sub", "client_id", "scope", "exp")}
    return _answer(body, 200, headers)


@app.get("/me")
def me() -> Response:
    """The floor of (c): what an introspection answered for the token, found by its SHA-256."""
    token = _credentials("bearer")
    claims = _answers.get(digest(token)) if token else None
    if claims is None or claims["exp"] <= time.time():
        return _unauthorized()
    return _me(claims)


@app.get("/me-introspect")
def me_introspect() -> Response:
    """The floor of (d): the token introspected (RFC 7662 §2.1) once per request, nothing kept."""
    token = _credentials("bearer")
    if not token:
        return _unauthorized()
    body = b"token=%s&token_type_hint=access_token" % quote(token, safe="").encode()
    status, answer = _introspection.request(b"POST", _introspection_target, body, _introspection_headers)
    if status != 200:
        return _answer({"error": "introspection_failed", "status": status}, 503)
    claims = json.loads(answer)
    if claims.get("active") is not True or not claims.get("exp", 0) > time.time():
        return _unauthorized()
    return _me(claims)


@app.get("/me-jwt")
def me_jwt() -> Response:
    """The floor of (g): an RFC 9068 access token validated here, nothing kept per token."""
    token = _credentials("bearer") or ""
    try:
        encoded_header, encoded_claims, signature = token.split(".")
        header = json.loads(_b64decode(encoded_header))
        claims = json.loads(_b64decode(encoded_claims))
        alg, verify = _keys[header["kid"]]
        if header["alg"] != alg or header["typ"] != ACCESS_TOKEN_TYP:
            return _unauthorized()
        verify(_b64decode(signature), f"{encoded_header}.{encoded_claims}".encode())
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidSignature):
        return _unauthorized()
    if claims.get("iss") != _issuer or not claims.get("exp", 0) > time.time():
        return _unauthorized()
    return _me(claims)


@app.get("/healthz")
def healthz() -> str:
    return "ok"
