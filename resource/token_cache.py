"""Introspection answers, cached under the SHA-256 of the token, never past a fixed deadline.

Each entry carries its absolute deadline (``until``). With Redis, entries are shared by every
process, and each process also keeps what it read in memory until that same deadline: the local
copy is never staler than the shared one, and a hot token costs no Redis round trip.
A cache outage costs an introspection call, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time

from shared.cache import MemoryCache

log = logging.getLogger(__name__)


def cache_key(token: str) -> str:
    return "introspection:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenCache:
    def __init__(self, shared):
        self._shared = shared
        self._local = None if isinstance(shared, MemoryCache) else MemoryCache(max_entries=50_000)

    def get(self, key: str) -> dict | None:
        raw = self._local.get(key) if self._local is not None else None
        if raw is None:
            raw = self._shared_get(key)
            if raw is None:
                return None
            if self._local is not None:
                self._local.set(key, raw, json.loads(raw)["until"] - time.time())
        entry = json.loads(raw)
        return entry["claims"] if entry["until"] > time.time() else None

    def put(self, key: str, claims: dict, ttl: float) -> None:
        if ttl <= 0:
            return
        raw = json.dumps({"until": time.time() + ttl, "claims": claims})
        if self._local is not None:
            self._local.set(key, raw, ttl)
        try:
            self._shared.set(key, raw, ttl)
        except Exception as exc:
            log.warning("token cache unavailable: %s", type(exc).__name__)

    def _shared_get(self, key: str) -> str | None:
        try:
            return self._shared.get(key)
        except Exception as exc:
            log.warning("token cache unavailable: %s", type(exc).__name__)
            return None
