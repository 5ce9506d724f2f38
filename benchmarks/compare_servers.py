#!/usr/bin/env python
"""Which WSGI server and settings serve Flask best on this machine: the bare hello app under each
configuration, all started at once, measured interleaved, median of several rounds.

    .venv/bin/python benchmarks/compare_servers.py [--rounds 3] [--duration 5] [CONFIG ...]

A CONFIG is ``gunicorn:WORKERS:CLASS[:THREADS]`` or ``granian:WORKERS:BLOCKING_THREADS``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import Load  # noqa: E402
from benchmarks.load import Request  # noqa: E402
from benchmarks.procs import BenchError  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import ServerSettings  # noqa: E402
from benchmarks.procs import ensure_tools  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import interrupt_on_signals  # noqa: E402
from benchmarks.report import Row  # noqa: E402
from benchmarks.report import summarize  # noqa: E402
from benchmarks.run import measure  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402

DEFAULT_CONFIGS = (
    "gunicorn:2:gthread:4",
    "gunicorn:2:gthread:1",
    "gunicorn:4:gthread:2",
    "gunicorn:2:sync",
    "gunicorn:4:sync",
    "granian:2:4",
    "granian:2:1",
    "granian:1:4",
)


def settings_from(spec: str) -> ServerSettings:
    parts = spec.split(":")
    try:
        if parts[0] == "gunicorn" and len(parts) in (3, 4):
            return ServerSettings("gunicorn", int(parts[1]), parts[2], int(parts[3]) if len(parts) == 4 else 1)
        if parts[0] == "granian" and len(parts) == 3:
            return ServerSettings("granian", int(parts[1]), "wsgi", int(parts[2]))
    except ValueError:
        pass
    raise BenchError(f"not a server configuration: {spec!r} (see --help)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*", default=list(DEFAULT_CONFIGS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--target", default="benchmarks.hello:app", help="WSGI app to serve")
    parser.add_argument("--path", default="/", help="path to load")
    args = parser.parse_args(argv)
    interrupt_on_signals()
    try:
        settings = [settings_from(spec) for spec in args.configs]
        ensure_tools(*{s.server for s in settings})
        print(compare(settings, args))
    except BenchError as exc:
        print(f"compare_servers: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def compare(all_settings: list[ServerSettings], args: argparse.Namespace) -> str:
    load = Load(args.connections, 2, args.duration)
    work = Path(tempfile.mkdtemp(prefix="authserver-servers-"))
    try:
        with Processes(work) as processes:
            scenarios = []
            for index, settings in enumerate(all_settings):
                server = Server(
                    f"server{index}", args.target, free_port(), dict(os.environ), settings, ready_path=args.path
                )
                processes.start(server)
                scenarios.append(Scenario(str(index), settings.describe(), Request(server.url + args.path), None, None))
            results, _bodies = measure(load, scenarios, args.rounds, warmup=1, discard_disturbed=False)
            rows = [summarize(s, results[s.key]) for s in scenarios]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return render(rows)


def render(rows: list[Row]) -> str:
    best = max(row.rps for row in rows)
    lines = [f"{'server':<58} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}  rel  rounds"]
    for row in rows:
        lines.append(
            f"{row.scenario.label:<58} {row.rps:>7.0f} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} "
            f"{row.non2xx + row.socket_errors:>6} {row.rps / best:>4.2f}  " + "/".join(f"{r:.0f}" for r in row.rounds)
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
