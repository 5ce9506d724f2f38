"""How revocations reach this process (``resource.revocations``): read from the authorization
server's feed, ``{issuer}/internal/revocations?after=<cursor>``, with the resource server's own
credentials; and, with ``REDIS_URL``, pushed over Redis pub/sub the moment they commit.

Without Redis one background thread per process (``resource.background``) reads the feed once a
second. With Redis the thread waits on the channel instead; the feed, which holds every event in
commit order, fills whatever pub/sub alone would lose: on each (re)subscription (a restart, a
dropped connection), on a gap in the event ids, and every ``BACKSTOP`` seconds in case a publish
failed; while Redis cannot be reached, the thread reads the feed once a second as without it.

The first request of a process reads the whole feed (every revocation whose tokens may still be
alive) before anything is cached or accepted: a JWT revoked before this process started is
refused by it too.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time

from resource.background import Periodic
from resource.http import KeepAlivePool
from resource.http import basic_authorization
from resource.revocations import Revocations
from shared.forks import reset_in_child
from shared.paths import REVOCATIONS_CHANNEL
from shared.paths import REVOCATIONS_PATH

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
# With Redis, how often the feed is read all the same (a publish may have failed).
BACKSTOP = 10.0
# How often what covers only expired tokens is forgotten.
PRUNE_INTERVAL = 30.0


class RevocationFeed:
    def __init__(self, cfg, revocations: Revocations, interval: float = POLL_INTERVAL):
        self.revocations = revocations
        revocations.start = self.start
        self._pool = KeepAlivePool(cfg.resource_issuer, cfg.introspection_timeout)
        self._target = self._pool.target(cfg.resource_issuer + REVOCATIONS_PATH)
        self._headers = f"Authorization: {basic_authorization(cfg)}\r\nAccept: application/json\r\n".encode("ascii")
        self._interval = interval
        # The id of the last event read; None until the feed first answered.
        self.cursor: int | None = None
        self._failing = False
        self._last_read = self._last_prune = 0.0
        self._redis = _subscriber_client(cfg.redis_url) if cfg.redis_url else None
        task = self._listen if self._redis is not None else self._poll
        self._thread = Periodic(
            "revocations", 0 if self._redis else interval, task, cfg.introspection_timeout, run_at_stop=False
        )
        self._forget()
        reset_in_child(self, RevocationFeed._forget)

    def _forget(self) -> None:
        self._pubsub = None
        self._begun = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Read the whole feed once, then keep up in the background (once per process; cheap after)."""
        if self._begun:
            return
        with self._lock:
            if not self._begun:
                self.read()
                self._thread.start()
                self._begun = True

    def read(self) -> bool:
        """Read the feed from the cursor until nothing more waits; False when it could not be read."""
        self._last_read = time.monotonic()
        starting = self.cursor is None
        while True:
            answer = self._fetch()
            if answer is None:
                return False
            events, cursor, more = answer
            for event in events:
                self.revocations.apply(event, tell=not starting)
            self.cursor = cursor
            if not more:
                return True

    def _fetch(self) -> tuple[list, int, bool] | None:
        target = self._target + (b"?after=%d" % self.cursor if self.cursor else b"")
        try:
            status, body = self._pool.request(b"GET", target, b"", self._headers)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return self._failed(type(exc).__name__)
        try:
            answer = json.loads(body) if status == 200 else None
            events, cursor, more = answer["events"], answer["cursor"], answer["more"]
            if not isinstance(events, list) or not _whole(cursor) or not isinstance(more, bool):
                raise ValueError("not a feed")
        except (ValueError, TypeError, KeyError, RecursionError):
            # 404: an authorization server without the feed; revocations then take RESOURCE_CACHE_TTL.
            return self._failed(f"HTTP {status}")
        if self._failing:
            log.warning("revocations read again")
            self._failing = False
        return [event for event in events if isinstance(event, dict)], cursor, more

    def _failed(self, reason: str) -> None:
        if not self._failing:
            log.warning("revocations not read (%s); trying again every second", reason)
        self._failing = True
        return None

    def _poll(self) -> None:
        self.read()
        self._prune_now_and_then()

    def _listen(self) -> None:
        """One wait on the channel (at most a second), and what it brought."""
        from redis import RedisError

        try:
            if self._pubsub is None:
                self._pubsub = self._redis.pubsub()
                self._pubsub.subscribe(REVOCATIONS_CHANNEL)
            message = self._pubsub.get_message(timeout=1.0)
        except (RedisError, OSError) as exc:
            log.warning("revocations channel unavailable (%s); reading the feed every second", type(exc).__name__)
            self._close_pubsub()
            self.read()
            time.sleep(self._interval)
            return
        if message is None:
            if time.monotonic() - self._last_read >= BACKSTOP:
                self.read()
        elif message["type"] == "subscribe":
            self.read()  # (re)subscribed: what was published while not subscribed is in the feed
        elif message["type"] == "message":
            self._pushed(message["data"])
        self._prune_now_and_then()

    def _pushed(self, data: str) -> None:
        try:
            event = json.loads(data)
            event_id = event["id"]
        except (ValueError, TypeError, KeyError):
            log.warning("revocations channel: a message that is no event")
            return
        if not isinstance(event, dict) or not _whole(event_id):
            return
        self.revocations.apply(event)  # at once, even when the feed must fill a gap before it
        if self.cursor is not None and event_id == self.cursor + 1:
            self.cursor = event_id
        elif self.cursor is None or event_id > self.cursor:
            self.read()

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._last_prune >= PRUNE_INTERVAL:
            self._last_prune = time.monotonic()
            self.revocations.prune()

    def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # closing a broken connection: nothing left to do
                pass

    def close(self) -> None:
        self._thread.stop()
        self._close_pubsub()
        self._pool.clear()


def _subscriber_client(url: str):
    import redis

    # The health check pings an idle subscription, so a connection that died silently is noticed.
    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=1.0, socket_timeout=5.0, health_check_interval=5
    )


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
