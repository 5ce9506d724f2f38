"""RFC 7662 introspection of bearer tokens, with a cache of the answers.

The resource server trusts the authorization server only over HTTP: the introspection endpoint is
discovered from ``RESOURCE_ISSUER``'s RFC 8414 metadata and called with the resource server's own
client credentials, over kept-alive connections (``resource.http.KeepAlivePool``); the metadata is
read once per process. Answers are cached under the SHA-256 of the token (never the token itself),
never past ``min(RESOURCE_CACHE_TTL, exp - now)``; inactive answers only briefly, so a token
that was just issued is not refused for long by a cache that saw it unknown. Every answer used,
cached or fresh, goes through ``Revocations.check`` first: a token revoked since it was cached is
refused as soon as the revocation reaches this process (``resource.revocation_feed``).
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from urllib.parse import quote

from resource.access_jwt import AccessTokenValidator
from resource.access_jwt import KeyNotFetched
from resource.access_jwt import Refused
from resource.access_jwt import access_token_header
from resource.auth import TokenInfo
from resource.errors import ApiError
from resource.errors import unavailable
from resource.http import KeepAlivePool
from resource.http import basic_authorization
from resource.http import origin_of
from resource.revocations import Revocations
from resource.token_cache import TokenCache
from resource.token_cache import key_of
from shared.config import ConfigError
from shared.logging import current_request_id
from shared.metrics import AUTHORIZATION_SERVER_ERRORS
from shared.metrics import INTROSPECTION_CACHE
from shared.paths import OAUTH_METADATA_PATH
from shared.security import digest

log = logging.getLogger(__name__)

RETRY_AFTER = 2
_ACCEPT_JSON = b"Accept: application/json\r\n"

_CACHE_HIT = INTROSPECTION_CACHE.labels("hit")
_CACHE_MISS = INTROSPECTION_CACHE.labels("miss")


class Introspector:
    def __init__(self, cfg, cache, revocations: Revocations):
        self._issuer = cfg.resource_issuer
        self._ttl = cfg.resource_cache_ttl
        self._negative_ttl = min(cfg.resource_negative_cache_ttl, cfg.resource_cache_ttl)
        self._timeout = cfg.introspection_timeout
        self._cache = TokenCache(cache, _prepared)
        self._revocations = revocations
        revocations.on_tokens.append(lambda digests: self._cache.refuse([key_of(d) for d in digests], _REFUSED))
        # Every header but Content-Length, built once: credentials never change in a process.
        self._headers = (
            f"Authorization: {basic_authorization(cfg)}\r\nAccept: application/json\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        ).encode("ascii")
        try:
            issuer = KeepAlivePool(self._issuer, self._timeout)
            self._metadata = issuer, issuer.target(self.metadata_url)
        except ValueError:
            raise ConfigError(f"RESOURCE_ISSUER must be an http(s) URL, not {self._issuer!r}") from None
        # One pool per origin: the issuer's, and the introspection endpoint's if it is elsewhere.
        self._pools = {issuer.origin: issuer}
        self._endpoint: tuple[KeepAlivePool, bytes] | None = None
        self._document: dict | None = None
        self._lock = threading.Lock()
        self._local = AccessTokenValidator(cfg, self.metadata)
        self._jwt_introspect = cfg.resource_jwt_introspect
        self._flights: dict[str, _Flight] = {}

    @property
    def metadata_url(self) -> str:
        return self._issuer + OAUTH_METADATA_PATH

    def endpoint(self) -> tuple[KeepAlivePool, bytes]:
        """The introspection endpoint, discovered once per process; a failed discovery is retried."""
        if self._endpoint is None:
            with self._lock:
                if self._endpoint is None:
                    self._endpoint = self.discover()
        return self._endpoint

    def metadata(self) -> dict:
        """The authorization server's metadata document, as discovered with the endpoint."""
        self.endpoint()
        return self._document

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
        self._document = document
        try:
            origin = origin_of(endpoint)
            pool = self._pools.get(origin) or self._pools.setdefault(origin, KeepAlivePool(origin, self._timeout))
            return pool, pool.target(endpoint)
        except ValueError:
            log.warning(
                "authorization server metadata at %s names an unusable introspection_endpoint", self.metadata_url
            )
            raise _outage() from None

    def validate(self, token: str) -> TokenInfo | None:
        """The token's claims if it is an active access token, None if it is not.

        A JWT access token (RFC 9068) is validated here against the authorization server's keys
        (``resource.access_jwt``), and introspected as well only where ``RESOURCE_JWT_INTROSPECT``
        asks for it. Either way the answer goes through ``Revocations.check``.
        """
        token_digest = digest(token)
        if (header := access_token_header(token)) is not None:
            try:
                info = self._local.validate(token, header, key_of(token_digest))
            except Refused:
                return None
            except KeyNotFetched:
                return self._introspected(token, token_digest)
            if not self._jwt_introspect:
                return self._revocations.check(token_digest, info)
        return self._introspected(token, token_digest)

    def _introspected(self, token: str, token_digest: str) -> TokenInfo | None:
        key = key_of(token_digest)
        if self._ttl > 0 and (cached := self._cache.get(key)) is not None:
            _CACHE_HIT.inc()
            info = _unexpired(cached)
            return None if info is None else self._revocations.check(token_digest, info)
        _CACHE_MISS.inc()
        claims = self._introspect_once(key, token)
        prepared = _prepared(claims)
        info = _unexpired(prepared)
        # Checked too: an answer given just before a revocation that has reached us since.
        checked = None if info is None else self._revocations.check(token_digest, info)
        if self._ttl > 0:
            if checked is None:
                self._cache.put(key, {"active": False}, self._negative_ttl)
            else:
                lifetime = self._ttl if info.exp is None else min(self._ttl, info.exp - time.time())
                self._cache.put(key, claims, lifetime, prepared)
        return checked

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
            # The token is b64token characters only (presented_token checked): quote has little to do.
            status, body = self._post(b"token=%s&token_type_hint=access_token" % quote(token, safe="").encode())
            claims = json.loads(body) if status == 200 else None
        except (OSError, http.client.HTTPException, ValueError, RecursionError) as exc:
            log.warning("introspection failed: %s", type(exc).__name__)
            raise _outage() from None
        if not isinstance(claims, dict) or not isinstance(claims.get("active"), bool):
            if status is not None and status >= 500:
                log.warning("introspection answered %s: the authorization server is unavailable", status)
            else:
                # 401 here means our own credentials are wrong: an operator's problem, not the caller's.
                log.error("introspection answered %s; check RESOURCE_CLIENT_ID/SECRET", status)
            raise _outage()
        return claims

    def _post(self, body: bytes):
        pool, target = self.endpoint()
        headers = self._headers
        # The caller's request id, so that the authorization server's lines for this call carry it too
        # (its syntax was checked: no byte of it can end the header).
        if (request_id := current_request_id()) is not None:
            headers += b"X-Request-Id: %s\r\n" % request_id.encode("ascii")
        return pool.request(b"POST", target, body, headers)

    def close(self) -> None:
        self._local.close()
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
    AUTHORIZATION_SERVER_ERRORS.inc()
    return unavailable("The authorization server is unavailable; try again shortly.", RETRY_AFTER)
