"""What `make run` serves: the three apps under granian, until one Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import requests

from shared.config import PROJECT_ROOT
from tests.support.ports import free_port


def _ctrl_c_able():
    """As in a terminal: a process group of its own, and SIGINT not ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()


def _wait_for(url: str, process: subprocess.Popen) -> requests.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            assert process.poll() is None and time.monotonic() < deadline, f"{url} never answered"
            time.sleep(0.2)


def test_run_script_serves_the_three_apps_with_granian_and_ctrl_c_stops_them(tmp_path):
    ports = {"AUTH_PORT": free_port(), "RESOURCE_PORT": free_port(), "WEB_APP_PORT": free_port()}
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("AUTHSERVER_", "RESOURCE_", "REDIS_"))
    }
    env.update(
        {name: str(port) for name, port in ports.items()},
        AUTHSERVER_INSTANCE_PATH=str(tmp_path / "instance"),
        AUTHSERVER_ISSUER=f"http://127.0.0.1:{ports['AUTH_PORT']}",
    )
    for command in (["db", "upgrade"], ["demo", "--resource-url", f"http://127.0.0.1:{ports['RESOURCE_PORT']}"]):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
        )
    run = subprocess.Popen(
        ["sh", "scripts/run-dev.sh"],
        cwd=PROJECT_ROOT,
        env=env,
        preexec_fn=_ctrl_c_able,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        urls = [
            f"http://127.0.0.1:{ports['AUTH_PORT']}/.well-known/openid-configuration",
            f"http://127.0.0.1:{ports['RESOURCE_PORT']}/healthz",
            f"http://127.0.0.1:{ports['WEB_APP_PORT']}/",
        ]
        for url in urls:
            response = _wait_for(url, run)
            assert response.status_code == 200 and response.headers["Server"] == "granian", url
        assert 'data-action="sign-in"' in requests.get(urls[2], timeout=5).text
        os.killpg(run.pid, signal.SIGINT)
        assert run.wait(timeout=30) is not None
        for url in urls:
            try:
                requests.get(url, timeout=2)
                raise AssertionError(f"{url} still answers after Ctrl-C")
            except requests.ConnectionError:
                pass
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
