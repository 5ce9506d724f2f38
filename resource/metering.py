"""Usage metering off the request path: records are queued and a background thread POSTs them in
batches to the authorization server (``{issuer}/internal/usage``), which stores them where its
CLI and developer portal read them.

A request only appends to an in-memory queue: metering can never slow or fail an API call. The
thread starts on first use in each process (so it survives a pre-forking server's fork), flushes
every ``RESOURCE_USAGE_FLUSH_INTERVAL`` seconds and at exit. A batch that cannot be delivered is
kept and retried; past ``MAX_PENDING`` records the oldest are dropped with a warning.
"""

from __future__ import annotations

import atexit
import collections
import http.client
import json
import logging
import threading
import time
from datetime import datetime
from datetime import timezone

from resource.http import KeepAlivePool
from resource.http import basic_authorization
from shared.forks import reset_in_child

log = logging.getLogger(__name__)

USAGE_PATH = "/internal/usage"
BATCH_SIZE = 500
MAX_PENDING = 50_000


class Meter:
    def __init__(self, cfg):
        self._interval = cfg.usage_flush_interval
        self._timeout = cfg.introspection_timeout
        # The same kept-alive client as introspection: a busy server sends a batch every interval.
        self._pool = KeepAlivePool(cfg.resource_issuer, self._timeout)
        self._target = self._pool.target(cfg.resource_issuer + USAGE_PATH)
        self._headers = (f"Authorization: {basic_authorization(cfg)}\r\n"
                         "Content-Type: application/json\r\n").encode("ascii")
        self._pending: collections.deque[dict] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        # The thread starts on first use in each process: a pre-forking server's workers get their own.
        reset_in_child(self, Meter._forget_thread)

    def record(self, *, client_id: str | None, user_sub: str | None, endpoint: str, model: str | None,
               tokens_in: int, tokens_out: int) -> None:
        # Fit the authorization server's columns: one oversized record would get its whole batch refused.
        # "at" is formatted as ISO 8601 by the thread that sends it, off the request path.
        entry = {"at": time.time(), "client_id": (client_id or "unknown")[:64],
                 "user_sub": user_sub[:64] if user_sub else None, "endpoint": endpoint[:64],
                 "model": model[:128] if model else None, "tokens_in": max(0, int(tokens_in)),
                 "tokens_out": max(0, int(tokens_out))}
        with self._lock:
            if len(self._pending) >= MAX_PENDING:
                self._pending.popleft()
                log.warning("usage queue full: dropping the oldest record")
            self._pending.append(entry)
            self._ensure_thread()

    def _forget_thread(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="usage-meter", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self.flush()

    def flush(self) -> bool:
        """Deliver what is pending; True when nothing is left."""
        while True:
            with self._lock:
                batch = [self._pending.popleft() for _ in range(min(BATCH_SIZE, len(self._pending)))]
            if not batch:
                return True
            batch = [_sendable(entry) for entry in batch]
            if not self._post(batch):
                with self._lock:
                    self._pending.extendleft(reversed(batch))
                return False

    def _post(self, batch: list[dict]) -> bool:
        try:
            status, _ = self._pool.request(b"POST", self._target, json.dumps({"records": batch}).encode(),
                                           self._headers)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            log.warning("usage not delivered (%s); will retry", type(exc).__name__)
            return False
        if status >= 500:
            log.warning("usage not delivered (HTTP %s); will retry", status)
            return False
        if status >= 400:
            # Retrying a batch the server refuses would only block the ones behind it.
            log.error("usage refused (HTTP %s): %d records dropped; check RESOURCE_CLIENT_ID/SECRET",
                      status, len(batch))
        return True

    def close(self) -> None:
        """Stop the thread and make one last delivery attempt (also run at interpreter exit)."""
        atexit.unregister(self.close)
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._timeout + 1)
        self.flush()
        self._pool.clear()


def _sendable(entry: dict) -> dict:
    at = entry["at"]
    if isinstance(at, float):
        return {**entry, "at": datetime.fromtimestamp(at, timezone.utc).isoformat()}
    return entry  # formatted already: a batch that failed once is retried as it was sent
