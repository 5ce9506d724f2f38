"""Bearer-token validation by RFC 7662 introspection, and the decorator that requires scopes.

The resource server trusts the authorization server only over HTTP: the introspection endpoint is
discovered from ``RESOURCE_ISSUER``'s RFC 8414 metadata and called with the resource server's own
client credentials, over kept-alive connections (``resource.http.KeepAlivePool``); the metadata is
read once per process. Answers are cached under the SHA-256 of the token (never the token itself),
never past ``min(RESOURCE_CACHE_TTL, exp - now)``; inactive answers only briefly, so a token
that was just issued is not refused for long by a cache that saw it unknown.
"""

from __future__ import annotations

import http.client
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from functools import wraps
from urllib.parse import quote

from flask import current_app
from flask import g
from flask import request

from resource.errors import ApiError
from resource.errors import unavailable
from resource.http import KeepAlivePool
from resource.http import basic_authorization
from resource.http import origin_of
from resource.token_cache import TokenCache
from resource.token_cache import cache_key
from shared.config import ConfigError

log = logging.getLogger(__name__)

METADATA_PATH = "/.well-known/oauth-authorization-server"
# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
RETRY_AFTER = 2
# Far above any token our authorization server issues; longer ones are refused unasked.
MAX_TOKEN_LENGTH = 4096
_ACCEPT_JSON = b"Accept: application/json\r\n"


@dataclass(frozen=True)
class TokenInfo:
    sub: str | None
    client_id: str | None
    scopes: frozenset[str]
    exp: int | None
    claims: dict
    # What other parts work out from the token once per introspection answer, not once per request
    # (the limiter's subjects): an answer is cached as one TokenInfo, reused by every call.
    derived: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_claims(cls, claims: dict) -> TokenInfo:
        """Members of the wrong JSON type count as absent: the limiter, metering and the API read
        these as strings and a number, and one odd answer must not turn into a 500."""
        scope = claims.get("scope") or ""
        exp = claims.get("exp")
        return cls(
            sub=_string(claims.get("sub")),
            client_id=_string(claims.get("client_id")),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            exp=exp if isinstance(exp, int) and not isinstance(exp, bool) else None,
            claims=claims,
        )


def _string(value) -> str | None:
    return value if isinstance(value, str) else None


class Introspector:
    def __init__(self, cfg, cache):
        self._issuer = cfg.resource_issuer
        self._ttl = cfg.resource_cache_ttl
        self._negative_ttl = min(cfg.resource_negative_cache_ttl, cfg.resource_cache_ttl)
        self._timeout = cfg.introspection_timeout
        self._cache = TokenCache(cache, _prepared)
        # Every header but Content-Length, built once: credentials never change in a process.
        self._headers = (f"Authorization: {basic_authorization(cfg)}\r\nAccept: application/json\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n").encode("ascii")
        try:
            issuer = KeepAlivePool(self._issuer, self._timeout)
            self._metadata = issuer, issuer.target(self.metadata_url)
        except ValueError:
            raise ConfigError(f"RESOURCE_ISSUER must be an http(s) URL, not {self._issuer!r}") from None
        # One pool per origin: the issuer's, and the introspection endpoint's if it is elsewhere.
        self._pools = {issuer.origin: issuer}
        self._endpoint: tuple[KeepAlivePool, bytes] | None = None
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    @property
    def metadata_url(self) -> str:
        return self._issuer + METADATA_PATH

    def endpoint(self) -> tuple[KeepAlivePool, bytes]:
        """The introspection endpoint, discovered once per process; a failed discovery is retried."""
        if self._endpoint is None:
            with self._lock:
                if self._endpoint is None:
                    self._endpoint = self.discover()
        return self._endpoint

    def discover(self) -> tuple[KeepAlivePool, bytes]:
        status = None
        try:
            pool, target = self._metadata
            status, body = pool.request(b"GET", target, headers=_ACCEPT_JSON)
            document = json.loads(body) if status == 200 else {}
        except (OSError, http.client.HTTPException, ValueError, RecursionError) as exc:
            # RecursionError: JSON nested thousands deep.
            log.warning("authorization server metadata unavailable: %s", type(exc).__name__)
            raise _outage() from None
        # RFC 8414 §3.3: the metadata's issuer must be the one we asked, or it is not our server.
        document = document if isinstance(document, dict) else {}
        endpoint = document.get("introspection_endpoint")
        if document.get("issuer") != self._issuer or not isinstance(endpoint, str):
            log.warning("authorization server metadata at %s is unusable (status %s)", self.metadata_url, status)
            raise _outage()
        try:
            origin = origin_of(endpoint)
            pool = self._pools.get(origin) or self._pools.setdefault(origin, KeepAlivePool(origin, self._timeout))
            return pool, pool.target(endpoint)
        except ValueError:
            log.warning("authorization server metadata at %s names an unusable introspection_endpoint",
                        self.metadata_url)
            raise _outage() from None

    def validate(self, token: str) -> TokenInfo | None:
        """The token's claims if it is an active access token, None if it is not."""
        key = cache_key(token)
        if self._ttl > 0 and (cached := self._cache.get(key)) is not None:
            return _unexpired(cached)
        claims = self._introspect_once(key, token)
        prepared = _prepared(claims)
        info = _unexpired(prepared)
        if self._ttl > 0:
            if info is None:
                self._cache.put(key, {"active": False}, self._negative_ttl)
            else:
                lifetime = self._ttl if info.exp is None else min(self._ttl, info.exp - time.time())
                self._cache.put(key, claims, lifetime, prepared)
        return info

    def _introspect_once(self, key: str, token: str) -> dict:
        """Concurrent requests with the same uncached token share one introspection call, so a
        burst of requests on a fresh token costs the authorization server one call, not one per thread."""
        if self._ttl <= 0:
            return self._introspect(token)
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            if flight.done.wait(self._timeout + 1) and flight.claims is not None:
                return flight.claims
            return self._introspect(token)
        try:
            flight.claims = self._introspect(token)
            return flight.claims
        finally:
            flight.done.set()
            with self._lock:
                self._flights.pop(key, None)

    def ready(self) -> bool:
        """Metadata answers and the introspection endpoint accepts our credentials."""
        self._endpoint = self.discover()
        status, body = self._post(b"token=readiness-probe")
        return status == 200 and json.loads(body).get("active") is False

    def _introspect(self, token: str) -> dict:
        status = None
        try:
            # The token is b64token characters only (bearer_token checked): quote has little to do.
            status, body = self._post(b"token=%s&token_type_hint=access_token" % quote(token, safe="").encode())
            claims = json.loads(body) if status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, RecursionError) as exc:
            log.warning("introspection failed: %s", type(exc).__name__)
            raise _outage() from None
        if not isinstance(claims, dict) or not isinstance(claims.get("active"), bool):
            # 401 here means our own credentials are wrong: an operator's problem, not the caller's.
            log.error("introspection answered %s; check RESOURCE_CLIENT_ID/SECRET", status)
            raise _outage()
        return claims

    def _post(self, body: bytes):
        pool, target = self.endpoint()
        return pool.request(b"POST", target, body, self._headers)

    def close(self) -> None:
        for pool in list(self._pools.values()):
            pool.clear()

# An introspection answer that is no access token: inactive, or a refresh token.
_REFUSED = object()


def _prepared(claims: dict):
    """What the cache keeps of an introspection answer: a TokenInfo, or _REFUSED."""
    if claims.get("active") is not True:
        return _REFUSED
    # A refresh token is not a credential for the API (RFC 6749 §1.5).
    if str(claims.get("token_type", "")).lower() in ("refresh_token", "refresh"):
        return _REFUSED
    return TokenInfo.from_claims(claims)


def _unexpired(prepared) -> TokenInfo | None:
    if prepared is _REFUSED or (prepared.exp is not None and prepared.exp <= time.time()):
        return None
    return prepared


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.claims: dict | None = None


def _outage() -> ApiError:
    return unavailable("The authorization server is unavailable; try again shortly.", RETRY_AFTER)


def _invalid_token(description: str) -> ApiError:
    return ApiError(
        401, description, code="invalid_token",
        headers={"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'},
    )


def bearer_token() -> str:
    """The access token from the Authorization header, the only place we accept it (RFC 6750 §2.1).

    RFC 6750 §2.2/2.3 allow form and query tokens, but query tokens leak into logs and
    histories (RFC 9700 §4.3.2), so both are refused with ``invalid_request``.
    """
    environ = request.environ
    # The query and form are parsed only when there is one: most calls have neither.
    in_query = environ.get("QUERY_STRING") and "access_token" in request.args
    in_form = environ.get("CONTENT_TYPE") and request.mimetype == "application/x-www-form-urlencoded" \
        and "access_token" in request.form
    if in_query or in_form:
        raise ApiError(
            400, "Send the access token in the Authorization header, not in the URL or body.",
            code="invalid_request", param="access_token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _invalid_token("No bearer access token was provided.")
    if len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise _invalid_token("The access token is malformed.")
    return token


def require_scope(*scopes: str):
    """Require a valid bearer token holding every scope named (none: any valid token), then count
    the call against its client's and user's rate limits."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            # The app's state and the request's ``g`` themselves, not their proxies (~0.7 us a lookup).
            resources, ctx = current_app.extensions["resource"], g._get_current_object()
            info = resources.introspector.validate(bearer_token())
            if info is None:
                raise _invalid_token("The access token is invalid, expired or revoked.")
            ctx.token = info
            if not info.scopes.issuperset(scopes):
                needed = " ".join(scopes)
                raise ApiError(
                    403, f"This access token lacks the scope {needed!r}.", code="insufficient_scope",
                    headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
                )
            ctx.required_scopes = scopes
            ctx.rate_limit_headers = resources.limiter.enforce(info, scopes)
            return view(*args, **kwargs)

        return wrapper

    return decorator
