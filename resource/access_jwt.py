"""JWT access tokens (RFC 9068) validated here, against the authorization server's published keys.

A token that looks like a JWS whose ``typ`` is ``at+jwt`` is never introspected (unless
``RESOURCE_JWT_INTROSPECT`` asks for it too): its signature is checked against the JWKS named by
``jwks_uri`` in the authorization server's metadata, and its claims as RFC 9068 §4 asks. The key set
is fetched once, kept, fetched again when a token names a ``kid`` it lacks (at most once every
``MIN_REFRESH_INTERVAL``, so a flood of made-up kids cannot hammer the authorization server) and
every ``MAX_KEYS_AGE`` (so a key the authorization server stopped publishing stops working here).
A token naming an unknown kid while a fetch is held back is introspected, like an opaque token: a
key added a moment ago works at once, and a flood of made-up kids costs what a flood of made-up
opaque tokens does. While the authorization server is down the keys last known keep working.

Algorithms are pinned to the asymmetric ones the authorization server advertises for its signatures;
``none`` and the HMAC ones are never accepted, whatever a header says (RFC 8725 §3.1).
"""

from __future__ import annotations

import base64
import binascii
import http.client
import json
import logging
import threading
import time

from joserfc.errors import JoseError
from joserfc.jwk import import_key
from joserfc.jws import JWSRegistry
from joserfc.util import urlsafe_b64decode

from resource.auth import TokenInfo
from resource.http import KeepAlivePool
from resource.http import origin_of
from shared.cache import MemoryCache
from shared.jose import ASYMMETRIC_KEY_TYPES
from shared.jose import JWS_ALGORITHMS

log = logging.getLogger(__name__)

# RFC 9068 §4: ``typ`` of an access token, with or without its ``application/`` prefix.
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
# The only algorithms ever accepted, whatever the metadata says: asymmetric ones.
ASYMMETRIC = frozenset(JWS_ALGORITHMS)
# RFC 9068 §2.2: claims every access token carries.
REQUIRED_CLAIMS = ("iss", "exp", "aud", "sub", "client_id", "iat", "jti")
# Clock skew tolerated between the two servers on exp, nbf and iat.
LEEWAY = 30
MIN_REFRESH_INTERVAL = 10.0
MAX_KEYS_AGE = 300.0
# A JWT access token's header is small; a longer first segment is not ours.
MAX_HEADER_LENGTH = 512
# joserfc's checks of a JWS, each call's registry built once: deserialize_compact would build one
# and parse the header again on every request (16 of its 37 us per RS256 token, measured).
_REGISTRY = JWSRegistry(algorithms=sorted(ASYMMETRIC))


class Refused(Exception):
    """The token is a JWT access token, and not a valid one for this resource server."""


class KeyNotFetched(Exception):
    """The token names a key not in the key set, which was fetched too recently to fetch again: only
    the authorization server can tell (a key added a moment ago, or a made-up kid)."""


def access_token_header(token: str) -> dict | None:
    """The protected header when ``token`` looks like an RFC 9068 access token, else None (an opaque
    token: opaque tokens of ours have no dot, so most return at the first test)."""
    if token.count(".") != 2:
        return None
    encoded = token.partition(".")[0]
    if len(encoded) > MAX_HEADER_LENGTH:
        return None
    try:
        header = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(header.get("typ"), str):
        return None
    return header if header["typ"].lower() in ACCESS_TOKEN_TYPES else None


class AccessTokenValidator:
    """``validate(token, header, key)``: the token's claims as a TokenInfo; ``Refused``, or ``KeyNotFetched``."""

    def __init__(self, cfg, metadata):
        """``metadata``: a callable returning the authorization server's RFC 8414 document (discovered
        once per process by the introspector, which raises a 503 ApiError while it cannot be read)."""
        self._issuer = cfg.resource_issuer
        self._timeout = cfg.introspection_timeout
        self._ttl = cfg.resource_cache_ttl
        self._metadata = metadata
        self._lock = threading.Lock()
        self._keys: dict[str, object] = {}
        self._algorithms: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._pool: KeepAlivePool | None = None
        self._verified = MemoryCache(max_entries=50_000)

    def validate(self, token: str, header: dict, key: str) -> TokenInfo:
        """``key``: the token's cache key (``token_cache.key_of``). A token validated once is
        remembered in this process as its TokenInfo for ``RESOURCE_CACHE_TTL`` (never past its
        ``exp``; ``0``: never): a hot token costs a dictionary lookup, as a cached introspection
        answer does, not a signature check."""
        if self._ttl <= 0:
            return self._verify(token, header)
        info = self._verified.get(key)
        if info is not None and info.exp > time.time() - LEEWAY:
            return info
        info = self._verify(token, header)
        self._verified.set(key, info, min(self._ttl, info.exp + LEEWAY - time.time()))
        return info

    def _verify(self, token: str, header: dict) -> TokenInfo:
        alg, kid = header.get("alg"), header.get("kid")
        if not isinstance(alg, str) or alg not in ASYMMETRIC or not isinstance(kid, str):
            raise Refused("unsupported algorithm or no key id")
        key = self._key(kid)
        if alg not in self._algorithms or key.get("alg", alg) != alg:
            raise Refused("algorithm not allowed for this key")
        # joserfc's steps of deserialize_compact on the header already parsed: the header's
        # parameters (crit refused: RFC 7515 §4.1.11), the key's type and use for the algorithm,
        # the signature decoded strictly (one token, one spelling: revocation goes by its digest).
        signing_input, _, signature = token.rpartition(".")
        try:
            _REGISTRY.check_header(header)
            algorithm = _REGISTRY.get_alg(alg)
            algorithm.check_key(key)
            valid = algorithm.verify(signing_input.encode(), urlsafe_b64decode(signature.encode()), key)
            claims = json.loads(urlsafe_b64decode(signing_input.partition(".")[2].encode())) if valid else None
        except (JoseError, ValueError, TypeError, RecursionError):
            valid = False
        if not valid:
            raise Refused("bad signature")
        return TokenInfo.from_claims(self._checked(claims))

    def _checked(self, claims: object) -> dict:
        """RFC 9068 §4: issuer, times, required claims. The audience is checked by the caller the way
        it is for every token (``TokenInfo.is_for``); ``aud`` naming only the issuer is a token for no
        particular resource, as an introspected token without ``aud`` is."""
        if not isinstance(claims, dict) or any(name not in claims for name in REQUIRED_CLAIMS):
            raise Refused("missing claims")
        if claims["iss"] != self._issuer:
            raise Refused("issued by another server")
        now = time.time()
        for name in ("exp", "nbf", "iat"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise Refused(f"{name} is not a number")
        if claims["exp"] <= now - LEEWAY:
            raise Refused("expired")
        if claims.get("nbf", 0) > now + LEEWAY or claims["iat"] > now + LEEWAY:
            raise Refused("not valid yet")
        if claims["aud"] in (self._issuer, [self._issuer]):
            claims = {name: value for name, value in claims.items() if name != "aud"}
        return claims

    def _key(self, kid: str):
        key = self._keys.get(kid)
        stale = self._fetched_at is None or time.monotonic() - self._fetched_at > MAX_KEYS_AGE
        if key is None or stale:
            tried = self._refresh(force=key is None)
            key = self._keys.get(kid)
            if key is None:
                if tried:
                    raise Refused("unknown key")
                raise KeyNotFetched()
        return key

    def _refresh(self, force: bool) -> bool:
        """Fetch the key set again: when it is old, or (``force``) for an unknown kid, but never twice
        within ``MIN_REFRESH_INTERVAL``. One thread fetches; the others use what it got. False when
        held back by that interval."""
        with self._lock:
            now = time.monotonic()
            if self._fetched_at is not None and now - self._fetched_at < MIN_REFRESH_INTERVAL:
                return False
            if not force and self._fetched_at is not None and now - self._fetched_at <= MAX_KEYS_AGE:
                return True
            document = self._metadata()
            try:
                keys = self._fetch(document)
            except (OSError, http.client.HTTPException, ValueError, RecursionError) as exc:
                # The keys last known keep working; the next try waits MIN_REFRESH_INTERVAL.
                log.warning("JWKS of %s unavailable: %s", self._issuer, type(exc).__name__)
                self._fetched_at = now
                return True
            advertised = document.get("id_token_signing_alg_values_supported")
            self._algorithms = ASYMMETRIC.intersection(advertised if isinstance(advertised, list) else [])
            self._keys, self._fetched_at = keys, now
            return True

    def _fetch(self, document: dict) -> dict[str, object]:
        uri = document.get("jwks_uri")
        if not isinstance(uri, str):
            raise ValueError("no jwks_uri in the metadata")
        if self._pool is None or self._pool.origin != origin_of(uri):
            self._pool = KeepAlivePool(uri, self._timeout, size=2)
        status, body = self._pool.request(b"GET", self._pool.target(uri), headers=b"Accept: application/json\r\n")
        if status != 200:
            raise ValueError(f"status {status}")
        listed = json.loads(body).get("keys")
        keys = {}
        for jwk in listed if isinstance(listed, list) else []:
            if not isinstance(jwk, dict) or jwk.get("kty") not in ASYMMETRIC_KEY_TYPES or "d" in jwk:
                continue
            if not isinstance(jwk.get("kid"), str) or jwk.get("use", "sig") != "sig":
                continue
            try:
                keys[jwk["kid"]] = import_key(jwk)
            except (JoseError, ValueError, TypeError):
                log.warning("JWKS of %s: key %s cannot be used", self._issuer, jwk["kid"])
        return keys

    def close(self) -> None:
        if self._pool is not None:
            self._pool.clear()
