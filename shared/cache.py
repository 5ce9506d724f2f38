"""A small key-value cache: Redis when REDIS_URL is set, process memory otherwise.

Values are strings. Both back ends expire keys and count (for rate limits) atomically. ``in_process``
tells a caller whether other processes see the same entries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic
from typing import Protocol
from typing import TypeVar

from cachetools import TLRUCache

T = TypeVar("T")


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: float) -> None: ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, amount: int, ttl: float) -> int:
        """Add ``amount`` to a counter that expires ``ttl`` seconds after it was created."""
        ...

    def ping(self) -> bool: ...


def _expires_at(_key: str, entry: tuple[float, object], _now: float) -> float:
    return entry[0]


class MemoryCache:
    """Process memory, bounded: each entry lives until its own deadline, and when the cache is full
    the least recently used entry goes (cachetools' TLRUCache, expired entries first), one at a time."""

    in_process = True

    def __init__(self, max_entries: int = 100_000):
        # (deadline, value): the deadline is the entry's own, set when it was stored.
        self._data: TLRUCache[str, tuple[float, object]] = TLRUCache(max_entries, _expires_at, time.monotonic)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str):
        with self._lock:
            entry = self._data.get(key)
        return None if entry is None else entry[1]

    def set(self, key: str, value, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._data[key] = (time.monotonic() + ttl, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, amount: int, ttl: float) -> int:
        with self._lock:
            expires, value = self._data.get(key) or (time.monotonic() + ttl, "0")
            total = int(value) + amount
            self._data[key] = (expires, str(total))
            return total

    def ttl(self, key: str) -> float:
        with self._lock:
            entry = self._data.get(key)
        return max(0.0, entry[0] - time.monotonic()) if entry else 0.0

    def ping(self) -> bool:
        return True


class MemoryCounters:
    """Counters that are security state (the resource server's rate limits without Redis): expired
    entries are swept when the store reaches its bound, live ones are never dropped, so that no
    flood of new keys can reset a limit. The bound grows instead."""

    in_process = True

    def __init__(self, max_entries: int = 100_000):
        self._data: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def get(self, key: str) -> str | None:
        entry = self._data.get(key)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def set(self, key: str, value: str, ttl: float) -> None:
        if ttl <= 0:
            return
        with self._lock:
            self._make_room(key)
            self._data[key] = (time.monotonic() + ttl, value)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def incr(self, key: str, amount: int, ttl: float) -> int:
        now = time.monotonic()
        with self._lock:
            self._make_room(key)
            expires, value = self._data.get(key, (0.0, "0"))
            if expires <= now:
                expires, value = now + ttl, "0"
            total = int(value) + amount
            self._data[key] = (expires, str(total))
            return total

    def ping(self) -> bool:
        return True

    def _make_room(self, key: str) -> None:
        if key in self._data or len(self._data) < self._max_entries:
            return
        now = time.monotonic()
        for stale in [k for k, (expires, _) in self._data.items() if expires <= now]:
            del self._data[stale]
        if len(self._data) >= self._max_entries:
            self._max_entries = 2 * len(self._data)


class RedisCache:
    in_process = False

    def __init__(self, url: str, prefix: str):
        import redis

        self._redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = prefix
        # One command per count, atomic: a MULTI/EXEC pipeline of the two costs a fifth more CPU.
        self._count = self._redis.register_script(
            "local total = redis.call('INCRBY', KEYS[1], ARGV[1]) "
            "redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX') return total"
        )

    def get(self, key: str) -> str | None:
        return self._redis.get(self._prefix + key)

    def set(self, key: str, value: str, ttl: float) -> None:
        if ttl > 0:
            self._redis.set(self._prefix + key, value, px=max(1, int(ttl * 1000)))

    def delete(self, key: str) -> None:
        self._redis.delete(self._prefix + key)

    def incr(self, key: str, amount: int, ttl: float) -> int:
        return int(self._count(keys=[self._prefix + key], args=[amount, max(1, int(ttl * 1000))]))

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:
            return False


def make_cache(redis_url: str | None, prefix: str) -> MemoryCache | RedisCache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()


class TimedValue(Generic[T]):
    """What ``load()`` returns, loaded again at most once per ``ttl`` seconds in this process.

    For lookups every request needs and an admin rarely changes: a change applies within ``ttl``.
    Racing threads may both load; each keeps a consistent answer.
    """

    def __init__(self, ttl: float, load: Callable[[], T]) -> None:
        self.ttl = ttl
        self._load = load
        self._entry: tuple[float, T | None] = (0.0, None)

    def get(self) -> T:
        expires, value = self._entry
        now = time.monotonic()
        if expires <= now:
            value = self._load()
            self._entry = (now + self.ttl, value)
        return value
