"""Child processes of the benchmark: the WSGI servers, each in its own process group.

Every child is registered in one ``Processes`` registry, which ends them all (the whole group,
workers included) on exit, on an error and on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.servers import ServerSettings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(os.environ.get("BENCH_VENV_BIN", PROJECT_ROOT / ".venv" / "bin"))


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why."""


def free_port() -> int:
    """A port below the kernel's ephemeral range: a port the kernel handed out free would, by the time
    a server binds it seconds later, often be the local end of some client connection (the apps'
    own database and Redis connections, or other work on the machine), and the server fails to start
    with "Address already in use"."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError(f"no free port below {low}")


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


@dataclass
class Server:
    name: str
    target: str
    port: int
    env: dict[str, str]
    settings: ServerSettings
    ready_path: str = "/healthz"
    log: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return self.settings.command(self.target, self.port)


class Processes:
    """Starts children in new sessions and ends every one of them, whatever happens."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self._children: list[subprocess.Popen] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop_all()

    def spawn(
        self, command: list[str], env: dict[str, str], log_name: str, cwd: Path = PROJECT_ROOT
    ) -> subprocess.Popen:
        log = open(self.log_dir / f"{log_name}.log", "ab")
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        self._children.append(process)
        return process

    def start(self, server: Server, timeout: float = 60) -> Server:
        server.log = self.log_dir / f"{server.name}.log"
        server.process = self.spawn(server.command(), server.env, server.name)
        wait_http(server, timeout)
        return server

    def stop(self, process: subprocess.Popen | None, kill: bool = False) -> None:
        """Ends the whole process group: SIGKILL when ``kill`` (a crash), else SIGTERM then SIGKILL."""
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process, signal.SIGKILL if kill else signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)
        # Workers may outlive a master killed with SIGKILL; the group signal reaches them too.
        _signal_group(process, signal.SIGKILL)
        if process in self._children:
            self._children.remove(process)

    def stop_all(self) -> None:
        for process in list(reversed(self._children)):
            try:
                self.stop(process)
            except Exception:  # keep ending the others
                _signal_group(process, signal.SIGKILL)


def cpu_seconds(servers: list[Server]) -> float:
    """User + system CPU time so far of every process in the servers' groups (masters and workers).

    CPU per request is steadier than requests per second on a machine shared with other work."""
    groups = {server.process.pid for server in servers if server.process is not None}
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # After the command name: state ppid pgrp session ... utime(12th) stime(13th).
        if int(fields[2]) in groups:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def interrupt_on_signals() -> None:
    """Ctrl-C and SIGTERM unwind the stack (so every ``finally`` ends its processes), even when the
    benchmark was started in the background, where SIGINT starts out ignored."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def run_guarded(program: str, body: Callable[[], int]) -> int:
    """``body()``'s exit status, with Ctrl-C and SIGTERM ending every child (130) and a BenchError
    one line on stderr (2)."""
    interrupt_on_signals()
    try:
        return body()
    except BenchError as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{program}: interrupted; every process it started was ended", file=sys.stderr)
        return 130


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def wait_http(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = server.url + server.ready_path
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise BenchError(
                f"{server.name} exited with {server.process.returncode}; see {server.log}:\n{tail(server.log)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise BenchError(
        f"{server.name} did not answer {url} within {timeout:.0f} s; see {server.log}:\n{tail(server.log)}"
    )


def tail(path: Path | None, lines: int = 15) -> str:
    if path is None or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
