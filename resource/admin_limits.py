"""The per-client limits an admin set (``clients set-limits``), polled from the authorization server
(``{issuer}/internal/limits``) once a second, so a change reaches tokens whose introspection answers
this server has cached, not only new ones.

One background thread per process (``resource.background``) asks with ``If-None-Match``: while nothing
changed the answer is an empty 304. A request only reads ``current``, a dict swapped whole by the
thread. A poll that fails keeps the limits last known; until one succeeds (``current`` is None) the
limits published in introspection answers apply, as they do when the authorization server predates
the endpoint.
"""

from __future__ import annotations

import http.client
import json
import logging

from resource.background import Periodic
from resource.http import KeepAlivePool
from resource.http import basic_authorization
from shared.paths import LIMITS_PATH

log = logging.getLogger(__name__)

POLL_INTERVAL = 1.0
FIELDS = ("rate_limit_per_minute", "tokens_per_day")


class AdminLimits:
    def __init__(self, cfg, interval: float = POLL_INTERVAL):
        self._pool = KeepAlivePool(cfg.resource_issuer, cfg.introspection_timeout)
        self._target = self._pool.target(cfg.resource_issuer + LIMITS_PATH)
        self._authorization = f"Authorization: {basic_authorization(cfg)}\r\n"
        # client_id -> the limits set for it; None until a poll succeeds. ``version`` counts changes,
        # so what was worked out from the old limits can tell it is stale.
        self.current: dict[str, dict[str, int]] | None = None
        self.version = 0
        self._etag: str | None = None
        self._poller = Periodic("limits-poll", interval, self.poll, cfg.introspection_timeout, run_at_stop=False)
        self.start = self._poller.start

    def poll(self) -> bool:
        """Fetch the limits if they changed; False (the last known kept) when the answer is not usable."""
        headers = self._authorization + (f'If-None-Match: "{self._etag}"\r\n' if self._etag else "")
        try:
            status, body = self._pool.request(b"GET", self._target, b"", headers.encode("ascii"))
        except (OSError, http.client.HTTPException, ValueError) as exc:
            log.warning("client limits not fetched (%s); keeping the last known", type(exc).__name__)
            return False
        if status == 304:
            return True
        try:
            answer = json.loads(body) if status == 200 else None
            limits = _checked(answer["clients"])
            version = str(answer["version"])
        except (TypeError, KeyError, ValueError):
            if status != 404:  # 404: an authorization server without the endpoint; introspection's limits hold
                log.warning("client limits not fetched (HTTP %s); keeping the last known", status)
            return False
        if limits != self.current:
            self.current = limits
            self.version += 1
        self._etag = version
        return True

    def close(self) -> None:
        self._poller.stop()
        self._pool.clear()


def _checked(clients) -> dict[str, dict[str, int]]:
    if not isinstance(clients, dict):
        raise ValueError("not an object")
    limits = {}
    for client_id, values in clients.items():
        if not isinstance(values, dict):
            raise ValueError("not an object")
        limits[client_id] = {
            name: value
            for name, value in values.items()
            if name in FIELDS and isinstance(value, int) and not isinstance(value, bool) and value >= 0
        }
    return limits
