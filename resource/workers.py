"""Without Redis, one resource-server process per instance folder: the server refuses a second.

The resource server has no database. Its rate limits and daily token quotas are security state that
must hold across processes, and without ``REDIS_URL`` the only place for them is the process's own
memory: under ``gunicorn -w 4`` each worker would count alone, letting four times the limit through.
So the production entry point takes an exclusive lock on a file in the instance folder, and a
second process (another worker, another server on the same folder) exits at start-up with one line
saying why. ``RESOURCE_LOCAL_LIMITS=1`` accepts per-process counting instead (benchmarks, or a
deployment that wants no limits to speak of).
"""

from __future__ import annotations

import fcntl
import os
import sys

from shared.config import Config

LOCK_NAME = "resource-server.lock"
# gunicorn's "worker failed to boot": the arbiter stops every worker and exits, instead of
# starting the refused worker again and again.
WORKER_BOOT_ERROR = 3
REFUSAL = (
    "resource server: refusing to start a second process without REDIS_URL: rate limits and "
    "quotas would count per process; set REDIS_URL, run one worker, or set RESOURCE_LOCAL_LIMITS=1"
)

_held: int | None = None


def claim_the_only_process(cfg: Config) -> None:
    """Hold the instance folder's lock for this process's lifetime, or exit naming the reason."""
    global _held
    if cfg.redis_url or cfg.local_limits or _held is not None:
        return
    _held = _lock(cfg)
    # A server that builds the app once and forks workers (gunicorn --preload): the lock came with the
    # fork, held through the parent's descriptor. Each child gives that one up and takes its own.
    os.register_at_fork(after_in_child=lambda: _reclaim_in_child(cfg))


def _lock(cfg: Config) -> int:
    cfg.instance_path.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(cfg.instance_path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        print(REFUSAL, file=sys.stderr, flush=True)
        raise SystemExit(WORKER_BOOT_ERROR) from None
    return descriptor


def _reclaim_in_child(cfg: Config) -> None:
    global _held
    inherited, _held = _held, None
    if inherited is not None:
        fcntl.flock(inherited, fcntl.LOCK_UN)
        os.close(inherited)
    try:
        _held = _lock(cfg)
    except SystemExit as refused:
        # Exceptions raised in fork hooks are only printed: leave at once instead.
        os._exit(refused.code)
