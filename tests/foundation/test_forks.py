"""State reset in forked children (pre-forking servers fork after the app is built)."""

from __future__ import annotations

import gc
import os
import weakref

from shared.forks import reset_in_child


class Holder:
    def __init__(self) -> None:
        self.connections = ["parent's socket"]

    def forget(self) -> None:
        self.connections = []


def _in_child(check) -> int:
    """Fork; the child exits 0 if ``check()`` holds, 1 otherwise (never returning into pytest)."""
    child = os.fork()
    if child == 0:
        try:
            os._exit(0 if check() else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_starts_without_the_parents_state_and_the_parent_keeps_it():
    holder = Holder()
    reset_in_child(holder, Holder.forget)
    assert _in_child(lambda: holder.connections == []) == 0
    assert holder.connections == ["parent's socket"]


def test_the_reset_does_not_keep_its_owner_alive():
    holder = Holder()
    reset_in_child(holder, Holder.forget)
    ref = weakref.ref(holder)
    del holder
    gc.collect()
    assert ref() is None
