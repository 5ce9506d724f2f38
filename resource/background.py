"""A task run every few seconds on a daemon thread of its own, off the request path (usage delivery,
the limits poll).

The thread starts on first use in each process (``start``), so a pre-forking server's workers each
get their own: a forked child forgets its parent's thread. ``stop`` ends it and runs the task once
more (unless told not to), as interpreter exit does.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Callable

from shared.forks import reset_in_child


class Periodic:
    def __init__(
        self, name: str, interval: float, task: Callable[[], object], timeout: float, run_at_stop: bool = True
    ):
        self._name = name
        self._run_at_stop = run_at_stop
        self._interval = interval
        self._task = task
        # How long ``stop`` waits for a run in progress (its own network timeout) before the last run.
        self._timeout = timeout
        self._stopped = threading.Event()
        self._forget()
        reset_in_child(self, Periodic._forget)

    def start(self) -> None:
        """Start the thread unless this process has one (one attribute read once it runs)."""
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        atexit.register(self.stop)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            self._task()

    def stop(self) -> None:
        """Stop the thread and run the task one last time if asked to (also at interpreter exit)."""
        atexit.unregister(self.stop)
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(self._timeout + 1)
        if self._run_at_stop:
            self._task()
