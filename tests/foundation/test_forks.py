"""Server processes: state reset in forked children (pre-forking servers fork after the app is
built), and the production entry points' start-up objects kept out of the garbage collector's way."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import weakref

import pytest

from shared.forks import reset_in_child
from shared.logging import take_request_id


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


@pytest.mark.parametrize("entry_point", ["authserver.wsgi", "resource.wsgi"])
def test_a_production_entry_point_freezes_what_it_built(entry_point, tmp_path):
    # In a fresh interpreter, as gunicorn imports it: frozen objects are never scanned by a full
    # collection again, so one costs a worker well under a millisecond instead of ~35 ms of held GIL.
    env = {"PATH": os.environ["PATH"], "AUTHSERVER_INSTANCE_PATH": str(tmp_path)}
    probe = f"import gc, {entry_point}; print(gc.get_freeze_count(), len(gc.get_objects()))"
    completed = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0, completed.stderr
    frozen, still_scanned = map(int, completed.stdout.split())
    assert frozen > 10_000
    assert still_scanned < frozen / 10


def test_request_ids_are_unique_in_a_process_and_never_repeat_across_forked_workers():
    ids = [take_request_id({}) for _ in range(1000)]
    assert len(set(ids)) == 1000 and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # Two workers forked from one parent would otherwise hand out the same ids, from the same start.
    parent = take_request_id({})
    assert _in_child(lambda: take_request_id({})[:16] != parent[:16]) == 0
    assert take_request_id({})[:16] == parent[:16]
