"""Usage metering off the request path: calls are summed in memory and a background thread POSTs
the sums in batches to the authorization server (``{issuer}/internal/usage``), which stores them
where its CLI and developer portal read them.

A request only adds to an in-memory total: metering can never slow or fail an API call. The calls
of one flush interval with the same client, user, endpoint and model travel as one record that
counts them (``requests``) and sums their tokens, so a busy server sends a record a second per
client, not one per call (at 5,000 calls a second, encoding, posting and storing per-call records
took a tenth of the API's throughput on the cores they shared). The thread starts on first use in each
process (so it survives a pre-forking server's fork), flushes every
``RESOURCE_USAGE_FLUSH_INTERVAL`` seconds and at exit. A batch that cannot be delivered is kept and
retried; past ``MAX_PENDING`` records the oldest are dropped with a warning. Each record carries an
``id``, so a batch whose answer was lost (stored, then sent again) is counted once.
"""

from __future__ import annotations

import collections
import http.client
import json
import logging
import threading
import time
import uuid
from datetime import datetime
from datetime import timezone

from resource.background import Periodic
from resource.http import KeepAlivePool
from resource.http import basic_authorization
from shared.forks import reset_in_child
from shared.paths import USAGE_PATH

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_PENDING = 50_000


# A record's counts stay below what the authorization server accepts (2**31): a total about to pass
# it is sent as a record of its own.
MAX_COUNT = 2**31 - 1


class Meter:
    def __init__(self, cfg):
        # A kept-alive client like introspection's, its own pool: a busy server sends a batch every interval.
        self._pool = KeepAlivePool(cfg.resource_issuer, cfg.introspection_timeout)
        self._target = self._pool.target(cfg.resource_issuer + USAGE_PATH)
        self._headers = (f"Authorization: {basic_authorization(cfg)}\r\nContent-Type: application/json\r\n").encode(
            "ascii"
        )
        # This interval's totals: (client_id, user_sub, endpoint, model) -> [first at, requests,
        # tokens in, tokens out]; and the records made of earlier ones, waiting for delivery.
        self._open: dict[tuple, list] = {}
        self._pending: collections.deque[dict] = collections.deque()
        self._lock = threading.Lock()
        # The thread starts on first use in each process: a pre-forking server's workers get their own.
        self._flusher = Periodic("usage-meter", cfg.usage_flush_interval, self.flush, cfg.introspection_timeout)
        reset_in_child(self, Meter._forget_lock)

    def record(
        self,
        *,
        client_id: str | None,
        user_sub: str | None,
        endpoint: str,
        model: str | None,
        tokens_in: int,
        tokens_out: int,
    ) -> None:
        # Fit the authorization server's columns: one oversized record would get its whole batch refused.
        key = (
            (client_id or "unknown")[:64],
            user_sub[:64] if user_sub else None,
            endpoint[:64],
            model[:128] if model else None,
        )
        tokens_in, tokens_out = min(MAX_COUNT, max(0, int(tokens_in))), min(MAX_COUNT, max(0, int(tokens_out)))
        with self._lock:
            totals = self._open.get(key)
            if totals is not None and (
                totals[1] == MAX_COUNT or totals[2] > MAX_COUNT - tokens_in or totals[3] > MAX_COUNT - tokens_out
            ):
                self._pending.append(_sendable(key, self._open.pop(key)))
                totals = None
            if totals is None:
                if len(self._open) + len(self._pending) >= MAX_PENDING:
                    if not self._pending:
                        log.warning("usage queue full: this call is not metered")
                        return
                    self._pending.popleft()
                    log.warning("usage queue full: dropping the oldest record")
                # "at" is formatted as ISO 8601 by the thread that sends it, off the request path.
                self._open[key] = [time.time(), 1, tokens_in, tokens_out]
            else:
                totals[1] += 1
                totals[2] += tokens_in
                totals[3] += tokens_out
            self._flusher.start()

    def _forget_lock(self) -> None:
        self._lock = threading.Lock()

    def flush(self) -> bool:
        """Close this interval's totals and deliver what is pending; True when nothing is left."""
        with self._lock:
            closed, self._open = self._open, {}
        records = [_sendable(key, totals) for key, totals in closed.items()]
        with self._lock:
            self._pending.extend(records)
        while True:
            with self._lock:
                batch = [self._pending.popleft() for _ in range(min(BATCH_SIZE, len(self._pending)))]
            if not batch:
                return True
            if not self._post(batch):
                with self._lock:
                    self._pending.extendleft(reversed(batch))
                return False

    def _post(self, batch: list[dict]) -> bool:
        try:
            status, _ = self._pool.request(
                b"POST", self._target, json.dumps({"records": batch}).encode(), self._headers
            )
        except (OSError, http.client.HTTPException, ValueError) as exc:
            log.warning("usage not delivered (%s); will retry", type(exc).__name__)
            return False
        if status >= 500:
            log.warning("usage not delivered (HTTP %s); will retry", status)
            return False
        if status >= 400:
            # Retrying a batch the server refuses would only block the ones behind it.
            log.error(
                "usage refused (HTTP %s): %d records dropped; check RESOURCE_CLIENT_ID/SECRET", status, len(batch)
            )
        return True

    def close(self) -> None:
        """Stop the thread and make one last delivery attempt (also run at interpreter exit)."""
        self._flusher.stop()
        self._pool.clear()


def _sendable(key: tuple, totals: list) -> dict:
    """A record as it travels, named once: a batch sent again after a lost answer carries the same
    ids, and the authorization server stores each record once."""
    client_id, user_sub, endpoint, model = key
    first_at, requests, tokens_in, tokens_out = totals
    return {
        "id": uuid.uuid4().hex,
        "at": datetime.fromtimestamp(first_at, timezone.utc).isoformat(),
        "client_id": client_id,
        "user_sub": user_sub,
        "endpoint": endpoint,
        "model": model,
        "requests": requests,
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
    }
