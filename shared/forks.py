"""State a forked child must not inherit: pre-forking servers (gunicorn) fork after the app is built.

Connections, descriptors and locks copied into a child are its parent's: a socket shared by two
processes interleaves their bytes, a lock held by a parent's thread at the fork is never released
in the child. Objects that hold such state register a reset that runs once in each child, right
after the fork, instead of comparing ``os.getpid()`` (a system call) on every use.
"""

from __future__ import annotations

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
