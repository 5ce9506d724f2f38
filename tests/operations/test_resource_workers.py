"""Without Redis, a second resource-server worker refuses to start, with one line saying why."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests

from shared.config import PROJECT_ROOT
from tests.support.ports import free_port

GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")


def _gunicorn(tmp_path, port: int, *options: str) -> subprocess.Popen:
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("RESOURCE_", "REDIS_"))}
    environ.update(AUTHSERVER_INSTANCE_PATH=str(tmp_path / "instance"), RESOURCE_ISSUER="http://127.0.0.1:9")
    return subprocess.Popen(
        [GUNICORN, *options, "-b", f"127.0.0.1:{port}", "resource.wsgi:app"],
        cwd=PROJECT_ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("options", [("-w", "4"), ("-w", "2", "--preload")])
def test_several_workers_without_redis_refuse_to_start(tmp_path, options):
    server = _gunicorn(tmp_path, free_port(), *options)
    try:
        _, stderr = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode != 0
    refusals = [line for line in stderr.splitlines() if line.startswith("resource server: refusing")]
    assert refusals and "REDIS_URL" in refusals[0] and "per process" in refusals[0]


def test_one_worker_without_redis_serves(tmp_path):
    port = free_port()
    server = _gunicorn(tmp_path, port, "-w", "1", "--preload")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
                break
            except requests.ConnectionError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
    finally:
        server.terminate()
        server.communicate(timeout=10)
