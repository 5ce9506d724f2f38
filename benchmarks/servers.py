"""The WSGI servers the benchmark can serve every app with, and how each is started.

granian is the default: it measured fastest on every scenario (docs/performance.md, "Choosing the
server"). gunicorn gthread and uWSGI are there to compare against. Out, and why (checked on PyPI,
December 2026): bjoern (last release 2022, one thread, no worker management) and meinheld (2020)
are unmaintained; fastwsgi (0.0.9, 2023) and socketify (PyPy first, 2024) are not production
servers; waitress, cheroot and pyruvate serve from one process, so one GIL for every core.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from benchmarks.procs import VENV_BIN
from benchmarks.procs import BenchError

# What the benchmark installs into the venv on first use (also listed in setup.cfg's bench extra).
TOOLS = {
    "gunicorn": "gunicorn>=22",
    "granian": "granian>=2",
    "uwsgi": "pyuwsgi>=2.0.28",
    "py-spy": "py-spy>=0.4",
    "pyinstrument": "pyinstrument>=5",
}

SERVERS = ("granian", "gunicorn", "uwsgi")


def ensure_tools(*names: str) -> None:
    for name in names:
        if not (VENV_BIN / name).exists():
            print(f"installing {TOOLS[name]} into {VENV_BIN.parent}", flush=True)
            subprocess.run([str(VENV_BIN / "python"), "-m", "pip", "install", "-q", TOOLS[name]], check=True)


@dataclass(frozen=True)
class ServerSettings:
    """How every app is served, so the ceiling (e) runs under exactly the same settings.

    ``workers`` processes of ``threads`` threads each (granian: blocking threads; gunicorn: gthread
    threads; uWSGI: threads). ``backpressure`` is granian's cap on the connections one worker holds
    open (measured: a connection past it waits until another closes, however idle the open ones
    are, so kept-alive clients starve the rest when it is low); unset, granian's own default
    (backlog 1024 / workers) stays. Left unset, granian's blocking threads would be half of that:
    hundreds of threads on one GIL, so ``threads`` is always passed."""

    server: str = "granian"
    workers: int = 2
    worker_class: str = "gthread"
    threads: int = 4
    backpressure: int | None = None

    def describe(self) -> str:
        if self.server == "granian":
            backpressure = f" --backpressure {self.backpressure}" if self.backpressure else ""
            return f"granian --interface wsgi --workers {self.workers} --blocking-threads {self.threads}{backpressure}"
        if self.server == "uwsgi":
            return f"uwsgi --http --http-keepalive --processes {self.workers} --threads {self.threads}"
        threads = f" --threads {self.threads}" if self.worker_class == "gthread" else ""
        return f"gunicorn -w {self.workers} -k {self.worker_class}{threads}"

    def command(self, target: str, port: int) -> list[str]:
        if self.server == "granian":
            # HTTP/1 keep-alive is on by default: the load generator, like a resource server's
            # introspection client, keeps its connections.
            backpressure = ["--backpressure", str(self.backpressure)] if self.backpressure else []
            return [
                str(VENV_BIN / "granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.workers),
                "--blocking-threads",
                str(self.threads),
                *backpressure,
                "--no-access-log",
                "--log-level",
                "warning",
                target,
            ]
        if self.server == "uwsgi":
            # --http with --http-keepalive: uWSGI's HTTP router holds the clients' connections and
            # hands each request to a worker thread. With --http11-socket the worker threads hold
            # them, and processes x threads kept-alive clients (the resource servers' introspection
            # pools) stop it from serving anyone else (measured: (a) and (b) at 0/s, wrk hung).
            # --lazy-apps: each worker imports the app after the fork, as gunicorn and granian do.
            return [
                str(VENV_BIN / "uwsgi"),
                "--http",
                f"127.0.0.1:{port}",
                "--http-keepalive",
                "--master",
                "--processes",
                str(self.workers),
                "--threads",
                str(self.threads),
                "--enable-threads",
                "--lazy-apps",
                "--need-app",
                "--die-on-term",
                "--disable-logging",
                "--module",
                target,
            ]
        command = [
            str(VENV_BIN / "gunicorn"),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(self.workers),
            "-k",
            self.worker_class,
            "--log-level",
            "warning",
        ]
        if self.worker_class == "gthread":
            command += ["--threads", str(self.threads)]
        return command + [target]


def settings_from(spec: str) -> ServerSettings:
    """``granian:WORKERS:THREADS[:BACKPRESSURE]``, ``gunicorn:WORKERS:CLASS[:THREADS]`` or
    ``uwsgi:WORKERS:THREADS``."""
    parts = spec.split(":")
    try:
        if parts[0] == "gunicorn" and len(parts) in (3, 4):
            return ServerSettings("gunicorn", int(parts[1]), parts[2], int(parts[3]) if len(parts) == 4 else 1)
        if parts[0] == "granian" and len(parts) in (3, 4):
            backpressure = int(parts[3]) if len(parts) == 4 else None
            return ServerSettings("granian", int(parts[1]), "wsgi", int(parts[2]), backpressure)
        if parts[0] == "uwsgi" and len(parts) == 3:
            return ServerSettings("uwsgi", int(parts[1]), "threads", int(parts[2]))
    except ValueError:
        pass
    raise BenchError(f"not a server configuration: {spec!r} (see --help)")
