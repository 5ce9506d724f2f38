"""Bearer-token validation by RFC 7662 introspection, and the decorator that requires scopes.

The resource server trusts the authorization server only over HTTP: the introspection endpoint is
discovered from ``RESOURCE_ISSUER``'s RFC 8414 metadata and called with the resource server's own
client credentials. Answers are cached under the SHA-256 of the token (never the token itself),
never past ``min(RESOURCE_CACHE_TTL, exp - now)``; inactive answers only briefly, so a token
that was just issued is not refused for long by a cache that saw it unknown.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from functools import wraps

import requests
from flask import current_app
from flask import g
from flask import request

from resource.errors import ApiError
from resource.errors import unavailable
from resource.http import basic_credentials
from resource.token_cache import TokenCache
from resource.token_cache import cache_key

log = logging.getLogger(__name__)

METADATA_PATH = "/.well-known/oauth-authorization-server"
# RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
RETRY_AFTER = 2
# Far above any token our authorization server issues; longer ones are refused unasked.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class TokenInfo:
    sub: str | None
    client_id: str | None
    scopes: frozenset[str]
    exp: int | None
    claims: dict

    @classmethod
    def from_claims(cls, claims: dict) -> TokenInfo:
        scope = claims.get("scope") or ""
        return cls(
            sub=claims.get("sub"),
            client_id=claims.get("client_id"),
            scopes=frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
            exp=claims.get("exp") if isinstance(claims.get("exp"), int) else None,
            claims=claims,
        )


class Introspector:
    def __init__(self, cfg, cache, http: requests.Session):
        self._issuer = cfg.resource_issuer
        self._credentials = basic_credentials(cfg)
        self._ttl = cfg.resource_cache_ttl
        self._negative_ttl = min(cfg.resource_negative_cache_ttl, cfg.resource_cache_ttl)
        self._timeout = cfg.introspection_timeout
        self._cache = TokenCache(cache)
        self._http = http
        self._endpoint: str | None = None
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    @property
    def metadata_url(self) -> str:
        return self._issuer + METADATA_PATH

    def endpoint(self) -> str:
        """The introspection endpoint, discovered once per process; a failed discovery is retried."""
        if self._endpoint is None:
            with self._lock:
                if self._endpoint is None:
                    self._endpoint = self.discover()
        return self._endpoint

    def discover(self) -> str:
        try:
            response = self._http.get(self.metadata_url, timeout=self._timeout)
            document = response.json() if response.status_code == 200 else {}
        except (requests.RequestException, ValueError) as exc:
            log.warning("authorization server metadata unavailable: %s", type(exc).__name__)
            raise _outage() from None
        # RFC 8414 §3.3: the metadata's issuer must be the one we asked, or it is not our server.
        document = document if isinstance(document, dict) else {}
        endpoint = document.get("introspection_endpoint")
        if document.get("issuer") != self._issuer or not isinstance(endpoint, str):
            log.warning("authorization server metadata at %s is unusable (status %s)",
                        self.metadata_url, response.status_code)
            raise _outage()
        return endpoint

    def validate(self, token: str) -> TokenInfo | None:
        """The token's claims if it is an active access token, None if it is not."""
        key = cache_key(token)
        cached = self._cache.get(key) if self._ttl > 0 else None
        if cached is not None:
            return self._accept(cached)
        claims = self._introspect_once(key, token)
        info = self._accept(claims)
        if self._ttl > 0:
            if info is None:
                self._cache.put(key, {"active": False}, self._negative_ttl)
            else:
                lifetime = self._ttl if info.exp is None else min(self._ttl, info.exp - time.time())
                self._cache.put(key, claims, lifetime)
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
        response = self._http.post(self._endpoint, data={"token": "readiness-probe"},
                                   auth=self._credentials, timeout=self._timeout)
        return response.status_code == 200 and response.json().get("active") is False

    def _introspect(self, token: str) -> dict:
        endpoint = self.endpoint()
        try:
            response = self._http.post(
                endpoint,
                data={"token": token, "token_type_hint": "access_token"},
                auth=self._credentials,
                headers={"Accept": "application/json"},
                timeout=self._timeout,
            )
            claims = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError) as exc:
            log.warning("introspection failed: %s", type(exc).__name__)
            raise _outage() from None
        if not isinstance(claims, dict) or not isinstance(claims.get("active"), bool):
            # 401 here means our own credentials are wrong: an operator's problem, not the caller's.
            log.error("introspection answered %s; check RESOURCE_CLIENT_ID/SECRET", response.status_code)
            raise _outage()
        return claims

    @staticmethod
    def _accept(claims: dict) -> TokenInfo | None:
        if claims.get("active") is not True:
            return None
        # A refresh token is not a credential for the API (RFC 6749 §1.5).
        if str(claims.get("token_type", "")).lower() in ("refresh_token", "refresh"):
            return None
        info = TokenInfo.from_claims(claims)
        if info.exp is not None and info.exp <= time.time():
            return None
        return info


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
    in_form = request.mimetype == "application/x-www-form-urlencoded" and "access_token" in request.form
    if "access_token" in request.args or in_form:
        raise ApiError(
            400, "Send the access token in the Authorization header, not in the URL or body.",
            code="invalid_request", param="access_token",
            headers={"WWW-Authenticate": 'Bearer error="invalid_request"'},
        )
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _invalid_token("No bearer access token was provided.")
    if len(token) > MAX_TOKEN_LENGTH or not _B64TOKEN.fullmatch(token):
        raise _invalid_token("The access token is malformed.")
    return token


def authenticate() -> TokenInfo:
    if "token" not in g:
        info = current_app.extensions["resource"].introspector.validate(bearer_token())
        if info is None:
            raise _invalid_token("The access token is invalid, expired or revoked.")
        g.token = info
    return g.token


def require_scope(*scopes: str):
    """Require a valid bearer token holding every scope named (none: any valid token), then count
    the call against its client's and user's rate limits."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            info = authenticate()
            missing = [scope for scope in scopes if scope not in info.scopes]
            if missing:
                needed = " ".join(scopes)
                raise ApiError(
                    403, f"This access token lacks the scope {needed!r}.", code="insufficient_scope",
                    headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
                )
            g.required_scopes = scopes
            g.rate_limit_headers = current_app.extensions["resource"].limiter.enforce(info, scopes)
            return view(*args, **kwargs)

        return wrapper

    return decorator
