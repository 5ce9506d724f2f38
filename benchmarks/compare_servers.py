#!/usr/bin/env python
"""Which WSGI server serves our two apps best on this machine: the whole bench stack (scenarios a-g:
authorization server, resource servers with the cache on and off and validating JWTs, hello, relay) under each server,
all started at once, measured interleaved (each scenario on every server back to back), medians of
several rounds, with node oidc-provider in the same run for reference.

    .venv/bin/python benchmarks/compare_servers.py [--rounds 3] [--duration 5] [--postgres --redis] [CONFIG ...]
    .venv/bin/python benchmarks/compare_servers.py --hello-only [CONFIG ...]   # the bare Flask app only

A CONFIG is ``granian:WORKERS:BLOCKING_THREADS[:BACKPRESSURE]``, ``gunicorn:WORKERS:CLASS[:THREADS]``
or ``uwsgi:WORKERS:THREADS``. Each server's ratios are to its own bare hello (e).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.instance import Instance  # noqa: E402
from benchmarks.load import Load  # noqa: E402
from benchmarks.load import Request  # noqa: E402
from benchmarks.peer import peer_server  # noqa: E402
from benchmarks.procs import BenchError  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import interrupt_on_signals  # noqa: E402
from benchmarks.report import Row  # noqa: E402
from benchmarks.report import summarize  # noqa: E402
from benchmarks.run import load_average  # noqa: E402
from benchmarks.run import measure  # noqa: E402
from benchmarks.run import start_postgres  # noqa: E402
from benchmarks.run import start_redis  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.servers import settings_from  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402
from benchmarks.stack import Stack  # noqa: E402
from benchmarks.stack import peer_scenarios  # noqa: E402

# The maintained multi-process WSGI servers (benchmarks/servers.py says why others are out), each with
# 2 worker processes (the cores) of 4 threads.
DEFAULT_CONFIGS = ("granian:2:4", "gunicorn:2:gthread:4", "uwsgi:2:4")
# Settings of one server against each other, on the bare app (--hello-only).
HELLO_CONFIGS = (
    "granian:2:4",
    "granian:2:1",
    "granian:1:4",
    "gunicorn:2:gthread:4",
    "gunicorn:2:gthread:1",
    "gunicorn:2:sync",
    "uwsgi:2:4",
    "uwsgi:2:1",
)
SCENARIO_ORDER = "abcdgfe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configs", nargs="*")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true", help="one throwaway PostgreSQL, a database per server")
    parser.add_argument("--redis", action="store_true", help="one throwaway redis-server, a database per server")
    parser.add_argument("--no-peer", action="store_true", help="without node oidc-provider")
    parser.add_argument("--hello-only", action="store_true", help="only the bare Flask app, under each CONFIG")
    parser.add_argument("--target", default="benchmarks.hello:app", help="with --hello-only: the WSGI app")
    parser.add_argument("--path", default="/", help="with --hello-only: the path to load")
    args = parser.parse_args(argv)
    interrupt_on_signals()
    try:
        specs = args.configs or (HELLO_CONFIGS if args.hello_only else DEFAULT_CONFIGS)
        settings = [settings_from(spec) for spec in specs]
        ensure_tools(*{s.server for s in settings})
        work = Path(tempfile.mkdtemp(prefix="authserver-servers-"))
        (work / "logs").mkdir()
        try:
            print(compare_hello(settings, args, work) if args.hello_only else compare_stacks(settings, args, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    except BenchError as exc:
        print(f"compare_servers: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def compare_stacks(all_settings: list[ServerSettings], args: argparse.Namespace, work: Path) -> str:
    """One deployment per server (its own instance, database and clients), one peer for all."""
    load = Load(args.connections, 2, args.duration)
    with contextlib.ExitStack() as cleanup, Processes(work / "logs") as processes:
        postgres = start_postgres(cleanup) if args.postgres else None
        redis_url = start_redis(cleanup) if args.redis else None
        by_server: dict[str, list[Scenario]] = {}
        for index, settings in enumerate(all_settings):
            database_url = _database(postgres, index)
            redis = redis_url.rsplit("/", 1)[0] + f"/{index}" if redis_url else None
            auth_port = free_port()
            instance = Instance(work / f"server{index}", database_url, redis, auth_port)
            stack = Stack(_Renamed(processes, f"{index}-"), instance, settings, auth_port)
            bench, rs = instance.prepare()
            stack.start(bench, rs)
            by_server[settings.describe()] = [
                dataclasses.replace(s, key=f"{s.key}@{index}")
                for s in stack.scenarios(bench, rs, instance.jwt_client())
            ]
        peer_rows: list[Scenario] = []
        if not args.no_peer:
            peer, client = peer_server(free_port(), dict(os.environ))
            processes.start(peer)
            peer_rows = peer_scenarios(peer, client)
        groups = list(by_server.values())

        def order_of_round(index: int) -> list[Scenario]:
            """Each scenario on every server back to back, so that a disturbance hits them alike,
            the servers in an order rotated each round, so that none always follows another's load."""
            turn = index % len(groups)
            servers = groups[turn:] + groups[:turn]
            return [s for key in SCENARIO_ORDER for group in servers for s in group if s.key.split("@")[0] == key] + (
                peer_rows[index % 2 :] + peer_rows[: index % 2]
            )

        scenarios = order_of_round(0)
        header = (
            f"{load_average()}; {'PostgreSQL' if args.postgres else 'SQLite'}{' + Redis' if args.redis else ''}; "
            f"wrk -t2 -c{args.connections} -d{args.duration:g}s x {args.rounds} rounds, interleaved"
        )
        print(header, flush=True)
        results, _bodies = measure(
            load, scenarios, args.rounds, warmup=1, discard_disturbed=False, order_of_round=order_of_round
        )
        rows = {s.key: summarize(s, results[s.key]) for s in scenarios}
    return f"after the rounds: {load_average()}\n\n" + render_stacks(list(by_server), rows)


def render_stacks(servers: list[str], rows: dict[str, Row]) -> str:
    """Per scenario and server: req/s, the ratio to that server's hello (e), p99; then the peer."""
    width = 26
    lines = [f"{'':<34}" + "".join(f"{f'[{i}]':>{width}}" for i in range(len(servers)))]
    lines.append(f"{'scenario':<34}" + "".join(f"{'req/s  ratio  p99 ms':>{width}}" for _ in servers))
    for key in SCENARIO_ORDER:
        if not all(f"{key}@{index}" in rows for index in range(len(servers))):
            continue  # (g) where the build or a server could not show it validating JWTs itself
        cells = []
        label = ""
        for index in range(len(servers)):
            row, ceiling = rows[f"{key}@{index}"], rows[f"e@{index}"]
            label = row.scenario.label
            errors = row.non2xx + row.socket_errors
            cells.append(
                f"{row.rps:>8.0f} {row.rps / ceiling.rps if ceiling.rps else 0:>6.2f} {row.p99_ms:>7.1f}"
                + (f" E{errors}" if errors else "")
                + (" Z" if 0 in row.rounds else "")
            )
        best = max(range(len(servers)), key=lambda i: rows[f"{key}@{i}"].rps)
        lines.append(f"({key}) {label:<30}" + "".join(f"{cell:>{width}}" for cell in cells) + f"   best: [{best}]")
    for key in ("pa", "pb"):
        if key in rows:
            row = rows[key]
            ours = "  ours/peer: " + ", ".join(
                f"[{i}] {rows[f'{key[1]}@{i}'].rps / row.rps:.2f}" for i in range(len(servers)) if row.rps
            )
            lines.append(f"({key}) {row.scenario.label:<30} {row.rps:>8.0f} req/s, p99 {row.p99_ms:.1f} ms{ours}")
    lines.append("")
    lines += [f"[{i}] {server}" for i, server in enumerate(servers)]
    lines.append(
        "ratio: req/s over the same server's bare hello (e); E: non-2xx responses and socket errors; "
        "Z: a round served no request"
    )
    return "\n".join(lines)


def _database(postgres: str | None, index: int) -> str | None:
    if postgres is None:
        return None
    from tests.support.postgres import admin

    server, _, name = postgres.rpartition("/")
    if index == 0:
        return postgres
    admin(server, f"CREATE DATABASE {name}{index}")
    return f"{server}/{name}{index}"


class _Renamed:
    """The registry, with each server's log named after its configuration (the names would collide)."""

    def __init__(self, processes: Processes, prefix: str):
        self._processes, self._prefix = processes, prefix

    def start(self, server: Server) -> Server:
        if not server.name.startswith(self._prefix):
            server.name = self._prefix + server.name
        return self._processes.start(server)

    def __getattr__(self, name: str):
        return getattr(self._processes, name)


def compare_hello(all_settings: list[ServerSettings], args: argparse.Namespace, work: Path) -> str:
    load = Load(args.connections, 2, args.duration)
    with Processes(work / "logs") as processes:
        scenarios = []
        for index, settings in enumerate(all_settings):
            server = Server(
                f"server{index}", args.target, free_port(), dict(os.environ), settings, ready_path=args.path
            )
            processes.start(server)
            scenarios.append(Scenario(str(index), settings.describe(), Request(server.url + args.path), (server,)))
        print(load_average(), flush=True)
        results, _bodies = measure(load, scenarios, args.rounds, warmup=1, discard_disturbed=False)
        rows = [summarize(s, results[s.key]) for s in scenarios]
    return f"after the rounds: {load_average()}\n" + render_hello(rows)


def render_hello(rows: list[Row]) -> str:
    best = max(row.rps for row in rows)
    lines = [f"{'server':<66} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'us/req':>7} {'errors':>6}  rel  rounds"]
    for row in rows:
        lines.append(
            f"{row.scenario.label:<66} {row.rps:>7.0f} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} {row.cpu_us:>7.0f} "
            f"{row.non2xx + row.socket_errors:>6} {row.rps / best:>4.2f}  " + "/".join(f"{r:.0f}" for r in row.rounds)
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
