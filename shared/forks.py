"""Server processes: pre-forking servers (gunicorn) fork workers that build or inherit the app.

State a forked child must not inherit: connections, descriptors and locks copied into a child are
its parent's. A socket shared by two processes interleaves their bytes, a lock held by a parent's
thread at the fork is never released in the child. Objects that hold such state register a reset
that runs once in each child, right after the fork, instead of comparing ``os.getpid()`` (a system
call) on every use.

What the app built at start-up lives as long as the process: ``freeze_startup_objects`` keeps the
garbage collector from scanning it again and again.
"""

from __future__ import annotations

import gc
import os
import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def reset_in_child(owner: T, reset: Callable[[T], None]) -> None:
    """Run ``reset(owner)`` in every process forked from now on, for as long as ``owner`` lives."""
    ref = weakref.ref(owner)

    def run() -> None:
        alive = ref()
        if alive is not None:
            reset(alive)

    os.register_at_fork(after_in_child=run)


def freeze_startup_objects() -> None:
    """Exempt everything built so far (the app, its libraries, their caches) from the cyclic garbage
    collector, for the life of the process: the production entry points call this once the app is
    built. A full collection then scans only what requests made, not the ~100,000 start-up objects:
    35 ms with the GIL held (every thread of the worker stalled) became 0.5 ms, once per ~10,000
    token requests. Python's ``gc.freeze``, made for long-lived objects of server processes."""
    gc.freeze()
