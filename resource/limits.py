"""Requests per minute and tokens per day, per client and per user, shared through the cache.

Where a client's limits come from, first match wins:
1. the limits an admin set for it at the authorization server, polled once a second
   (``resource.admin_limits``), so a change applies to tokens already cached; until the first poll
   succeeds, the introspection response's extension members ``rate_limit_per_minute`` /
   ``tokens_per_day`` instead (the authorization server publishes them there too; RFC 7662 §2.2);
2. ``RESOURCE_LIMITS``, a JSON object keyed by client_id:
   ``{"<client_id>": {"rate_limit_per_minute": 60, "tokens_per_day": 100000}}``;
3. the defaults ``RESOURCE_RATE_LIMIT_PER_MINUTE`` and ``RESOURCE_TOKENS_PER_DAY``.
A person acting through any client is held to the defaults as well, counted under their ``sub``.
``RESOURCE_LIMITS`` keys ``"scope:NAME"`` add a per-client limit on the calls that need that scope
(say ``{"scope:chat:create": {"rate_limit_per_minute": 20}}``: 20 chat calls a minute per client,
inside its overall limit); a field left out there is not limited separately.
A limit of 0 means unlimited. Counters are fixed windows (the minute, the UTC day) in the shared
cache, so with ``REDIS_URL`` every process and host counts together; each process re-reads the
daily token count at most once a second, and takes request numbers from Redis in blocks
(``MinuteBlocks``), so most requests make no Redis round trip at all.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps

from flask import current_app
from flask import g
from flask import request

from resource.admin_limits import AdminLimits
from resource.auth import TokenInfo
from resource.errors import ApiError
from shared.cache import MemoryCache
from shared.config import ConfigError
from shared.forks import reset_in_child
from shared.observability import add_response_headers

log = logging.getLogger(__name__)

MINUTE = 60
DAY = 86_400
FIELDS = ("rate_limit_per_minute", "tokens_per_day")
# A daily quota may be overshot by what other processes spend within this many seconds.
QUOTA_READ_TTL = 1.0
# A process takes at most this many request numbers from Redis at once, and at most this fraction
# of what is left under the limit: near the limit, one at a time.
MAX_BLOCK = 16
BLOCK_SHARE = 32


def rate_limited(view):
    """The step after ``resource.auth.require_scope``: ``count_call``, then the view."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        count_call()
        return view(*args, **kwargs)

    return wrapper


def count_call() -> None:
    """Count the call of ``g.token`` needing ``g.required_scopes`` against its client's and user's
    limits (429 past one); the X-RateLimit-* headers go on whatever answers the call."""
    ctx = g._get_current_object()
    limiter = current_app.extensions["resource"].limiter
    add_response_headers(request.environ, limiter.enforce(ctx.token, ctx.required_scopes))


@dataclass(frozen=True)
class Limits:
    rate_limit_per_minute: int
    tokens_per_day: int


def parse_overrides(raw: str | None) -> dict[str, dict[str, int]]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError("RESOURCE_LIMITS must be a JSON object keyed by client_id") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise ConfigError("RESOURCE_LIMITS must be a JSON object of objects keyed by client_id or scope:NAME")
    for client_id, limits in value.items():
        for name, number in limits.items():
            if name not in FIELDS or not isinstance(number, int) or number < 0:
                raise ConfigError(
                    f"RESOURCE_LIMITS[{client_id!r}]: {name} is not one of {FIELDS} with a whole number >= 0"
                )
    return value


class Limiter:
    def __init__(self, cfg, cache, admin: AdminLimits | None = None):
        self._admin = admin
        self._default = Limits(cfg.rate_limit_per_minute, cfg.tokens_per_day)
        self._overrides = parse_overrides(cfg.resource_limits)
        self._cache = cache
        shared = not cache.in_process
        self._local = MemoryCache(max_entries=50_000) if shared else None
        self._numbers = MinuteBlocks(cache) if shared else None

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()

    def limits_for(self, info: TokenInfo) -> Limits:
        values = {name: getattr(self._default, name) for name in FIELDS}
        values.update(self._overrides.get(info.client_id or "", {}))
        set_by_admin = self._admin.current if self._admin is not None else None
        source = info.claims if set_by_admin is None else set_by_admin.get(info.client_id or "", {})
        for name in FIELDS:
            published = source.get(name)
            if isinstance(published, int) and not isinstance(published, bool) and published >= 0:
                values[name] = published
        return Limits(**values)

    def subjects(self, info: TokenInfo, scopes: tuple[str, ...] = ()) -> list[tuple[str, str, Limits]]:
        """(who, counter key, limits) for everything this call counts against; the client first.
        Worked out once per token (its introspection answer), scopes and change of the admin's limits,
        not once per call."""
        version = 0
        if self._admin is not None:
            self._admin.start()
            version = self._admin.version
        memo = (self, scopes)
        known = info.derived.get(memo)
        if known is None or known[0] != version:
            known = info.derived[memo] = (version, self._subjects(info, scopes))
        return known[1]

    def _subjects(self, info: TokenInfo, scopes: tuple[str, ...]) -> list[tuple[str, str, Limits]]:
        client = f"client:{info.client_id}"
        subjects = [("client", client, self.limits_for(info))]
        for scope in scopes:
            configured = self._overrides.get(f"scope:{scope}")
            if configured:
                limits = Limits(**{name: configured.get(name, 0) for name in FIELDS})
                subjects.append((f"client's use of {scope}", f"{client}:scope:{scope}", limits))
        if info.sub and info.sub != info.client_id:
            subjects.append(("user", f"user:{info.sub}", self._default))
        return subjects

    def enforce(self, info: TokenInfo, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        """Count this request; raise 429 past a limit. Returns the X-RateLimit-* headers."""
        now = time.time()
        window = int(now // MINUTE)
        reset = max(1, math.ceil((window + 1) * MINUTE - now))
        day_reset = max(1, math.ceil((int(now // DAY) + 1) * DAY - now))
        headers: dict[str, str] = {}
        try:
            for index, (who, subject, limits) in enumerate(self.subjects(info, scopes)):
                count = (
                    self._count(f"rpm:{subject}:{window}", window, limits.rate_limit_per_minute)
                    if limits.rate_limit_per_minute
                    else 0
                )
                used = self._tokens_used(self._tokens_key(subject, now)) if limits.tokens_per_day else 0
                if index == 0:
                    headers = _headers(limits, count, used, reset)
                if limits.rate_limit_per_minute and count > limits.rate_limit_per_minute:
                    raise _too_many(
                        f"Rate limit reached: {limits.rate_limit_per_minute} requests per minute for this {who}.",
                        reset,
                        headers,
                        "rate_limit_exceeded",
                    )
                if limits.tokens_per_day and used >= limits.tokens_per_day:
                    raise _too_many(
                        f"Daily token quota reached: {limits.tokens_per_day} tokens per day for this {who}.",
                        day_reset,
                        headers,
                        "tokens_per_day_exceeded",
                    )
        except ApiError:
            raise
        except Exception as exc:  # a cache outage must not take the API down with it
            log.warning("rate-limit store unavailable, not limiting: %s", type(exc).__name__)
        return headers

    def tokens_left(self, info: TokenInfo, scopes: tuple[str, ...] = ()) -> int | None:
        """What the call may still spend today: the least any of its daily quotas has left (None: no
        quota applies, or the store cannot say, as ``enforce`` does not limit then)."""
        now = time.time()
        left = None
        try:
            for _, subject, limits in self.subjects(info, scopes):
                if limits.tokens_per_day:
                    remaining = limits.tokens_per_day - self._tokens_used(self._tokens_key(subject, now))
                    left = remaining if left is None else min(left, remaining)
        except Exception as exc:
            log.warning("token quota store unavailable, not limiting: %s", type(exc).__name__)
            return None
        return None if left is None else max(0, left)

    def _count(self, key: str, window: int, limit: int) -> int:
        """This request's number in its minute's count (past the limit: refused)."""
        if self._numbers is not None:
            return self._numbers.take(key, window, limit)
        return self._cache.incr(key, 1, MINUTE + 1)

    def charge(self, info: TokenInfo, tokens: int, scopes: tuple[str, ...] = ()) -> None:
        if tokens <= 0:
            return
        now = time.time()
        try:
            for _, subject, _ in self.subjects(info, scopes):
                key = self._tokens_key(subject, now)
                total = self._cache.incr(key, tokens, DAY + MINUTE)
                if self._local is not None:
                    self._local.set(key, str(total), QUOTA_READ_TTL)
        except Exception as exc:
            log.warning("token quota store unavailable: %s", type(exc).__name__)

    def _tokens_used(self, key: str) -> int:
        """Today's tokens; with Redis, re-read at most once per QUOTA_READ_TTL per process."""
        if self._local is not None and (seen := self._local.get(key)) is not None:
            return int(seen)
        used = int(self._cache.get(key) or 0)
        if self._local is not None:
            self._local.set(key, str(used), QUOTA_READ_TTL)
        return used

    @staticmethod
    def _tokens_key(subject: str, now: float) -> str:
        return f"tpd:{subject}:{int(now // DAY)}"


class MinuteBlocks:
    """Request numbers from a minute's shared counter, taken from Redis a block at a time.

    Counting each request in Redis costs a round trip per API call (here about 90 us of CPU, a sixth of
    a cached call's). A process instead adds a block of numbers to the counter at once and hands them to
    its requests in order. Numbers are unique across processes, so no more requests than the limit are
    ever let through; numbers a process still holds when the minute ends go unused, which lets fewer
    through. So a block grows only with the process's own use of the counter this minute (1, 2, 4...
    up to ``MAX_BLOCK``) and stays under 1/``BLOCK_SHARE`` of what it last saw left: a process that
    serves one call a minute holds no spare numbers, and near the limit every process takes one at a
    time. ``X-RateLimit-Remaining`` is counted from each request's number.
    """

    def __init__(self, cache):
        self._cache = cache
        self._forget()
        # A forked worker starts with nothing: the parent's blocks are the parent's.
        reset_in_child(self, MinuteBlocks._forget)

    def take(self, key: str, window: int, limit: int) -> int:
        with self._lock:
            if window < self._window:
                # A request that read the clock just before the minute turned: counted on its own.
                return self._cache.incr(key, 1, MINUTE + 1)
            if window > self._window:
                self._window, self._held, self._taken = window, {}, {}
            held = self._held.get(key)
            while held:
                numbers = held[0]
                if numbers[0] <= numbers[1]:
                    numbers[0] += 1
                    return numbers[0] - 1
                held.popleft()
            last_size, seen = self._taken.get(key, (0, 0))
            size = max(1, min(2 * last_size, MAX_BLOCK, (limit - seen) // BLOCK_SHARE))
            self._taken[key] = (size, seen)
        # The round trip outside the lock: a slow Redis holds up only the requests that need it. Two
        # threads that run out together each take a block; neither block is lost.
        last = self._cache.incr(key, size, MINUTE + 1)
        with self._lock:
            if window == self._window:
                self._taken[key] = (size, max(last, self._taken.get(key, (0, 0))[1]))
                if size > 1:
                    self._held.setdefault(key, collections.deque()).append([last - size + 2, last])
        return last - size + 1

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._window = -1
        # key -> the numbers this process holds, as [next to hand out, last] ranges; and (the size of
        # its last block, the highest count it has seen), what its next block is sized by.
        self._held: dict[str, collections.deque[list[int]]] = {}
        self._taken: dict[str, tuple[int, int]] = {}


def _headers(limits: Limits, count: int, used: int, reset: int) -> dict[str, str]:
    headers = {}
    if limits.rate_limit_per_minute:
        headers.update(
            {
                "X-RateLimit-Limit": str(limits.rate_limit_per_minute),
                "X-RateLimit-Remaining": str(max(0, limits.rate_limit_per_minute - count)),
                "X-RateLimit-Reset": str(reset),
            }
        )
    if limits.tokens_per_day:
        headers["X-RateLimit-Limit-Tokens"] = str(limits.tokens_per_day)
        headers["X-RateLimit-Remaining-Tokens"] = str(max(0, limits.tokens_per_day - used))
    return headers


def input_over_quota(prompt_tokens: int, left: int) -> ApiError:
    now = time.time()
    day_reset = max(1, math.ceil((int(now // DAY) + 1) * DAY - now))
    return _too_many(
        f"This request's input (about {prompt_tokens} tokens) needs more than the {left} tokens left of today's quota.",
        day_reset,
        {},
        "tokens_per_day_exceeded",
    )


def _too_many(message: str, retry_after: int, headers: dict[str, str], code: str) -> ApiError:
    return ApiError(
        429, message, type_="rate_limit_error", code=code, headers={**headers, "Retry-After": str(retry_after)}
    )
