"""Introspection answers, cached under the SHA-256 of the token, never past a fixed deadline.

Each process keeps each answer in memory as it will use it (the caller's ``prepare``: a TokenInfo,
built once per answer rather than once per request), never serialized, until its deadline.
With Redis, entries are also shared by every process as JSON carrying their absolute deadline
(``until``); what a process reads from Redis it keeps in memory until that same deadline: the
local copy is never staler than the shared one, and a hot token costs no Redis round trip.
A cache outage costs an introspection call, never a wrong answer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from shared.cache import MemoryCache

log = logging.getLogger(__name__)


def key_of(token_digest: str) -> str:
    """The cache key of a token known by its SHA-256 (``shared.security.digest``; as revocations name tokens)."""
    return "introspection:" + token_digest


class TokenCache:
    """What ``get`` returns, and the process keeps, is ``prepare(claims)``: made once per answer."""

    def __init__(self, shared, prepare: Callable[[dict], object]):
        # Without Redis the app's memory cache is the only store: it holds the prepared answers as they are.
        in_process = shared.in_process
        self._local = shared if in_process else MemoryCache(max_entries=50_000)
        self._shared = None if in_process else shared
        self._prepare = prepare

    def get(self, key: str):
        prepared = self._local.get(key)
        if prepared is not None or self._shared is None:
            return prepared
        raw = self._shared_get(key)
        if raw is None:
            return None
        entry = json.loads(raw)
        remaining = entry["until"] - time.time()
        prepared = self._prepare(entry["claims"])
        self._local.set(key, prepared, remaining)
        return prepared if remaining > 0 else None

    def put(self, key: str, claims: dict, ttl: float, prepared: object = None) -> None:
        """``prepared``: ``prepare(claims)`` if the caller made it already."""
        if ttl <= 0:
            return
        self._local.set(key, self._prepare(claims) if prepared is None else prepared, ttl)
        if self._shared is None:
            return
        try:
            self._shared.set(key, json.dumps({"until": time.time() + ttl, "claims": claims}), ttl)
        except Exception as exc:
            log.warning("token cache unavailable: %s", type(exc).__name__)

    def refuse(self, keys: list[str], refused: object) -> None:
        """Revoked tokens: what this process holds becomes ``refused`` for the rest of its life (no
        introspection call to learn it again); the shared entries go, for processes yet to learn of it."""
        for key in keys:
            remaining = self._local.ttl(key)
            if remaining > 0:
                self._local.set(key, refused, remaining)
        if self._shared is None:
            return
        try:
            for key in keys:
                self._shared.delete(key)
        except Exception as exc:
            log.warning("token cache unavailable: %s", type(exc).__name__)

    def _shared_get(self, key: str) -> str | None:
        try:
            return self._shared.get(key)
        except Exception as exc:
            log.warning("token cache unavailable: %s", type(exc).__name__)
            return None
