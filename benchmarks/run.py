#!/usr/bin/env python
"""``make bench``: throughput and latency of the hot paths, as ratios to a bare Flask app.

Starts a throwaway deployment on 127.0.0.1 (SQLite, or PostgreSQL/Redis with flags), creates its
clients through the admin CLI, drives each scenario with wrk at fixed concurrency, interleaved over
several rounds, prints one table of medians, then checks durability and cache invalidation.
Every process it starts is ended on exit, on errors and on Ctrl-C. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import checks  # noqa: E402
from benchmarks import peer  # noqa: E402
from benchmarks import profile  # noqa: E402
from benchmarks.instance import Instance  # noqa: E402
from benchmarks.load import Load  # noqa: E402
from benchmarks.load import Result  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import cpu_seconds  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import run_guarded  # noqa: E402
from benchmarks.report import LEGEND  # noqa: E402
from benchmarks.report import problems  # noqa: E402
from benchmarks.report import rounds_detail  # noqa: E402
from benchmarks.report import summarize  # noqa: E402
from benchmarks.report import table  # noqa: E402
from benchmarks.report import targets  # noqa: E402
from benchmarks.servers import SERVERS  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402
from benchmarks.stack import Stack  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; figures are medians")
    parser.add_argument("--duration", type=float, default=5, help="seconds per scenario per round")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of discarded load per scenario first")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--server", choices=SERVERS, default="granian")
    parser.add_argument("--workers", type=int, default=2, help="worker processes per app (default: 2, the cores)")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread, sync)")
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per worker (granian blocking threads; gunicorn gthread; uwsgi)"
    )
    parser.add_argument(
        "--backpressure", type=int, help="granian: open connections per worker (default: granian's, 1024 / workers)"
    )
    parser.add_argument(
        "--no-peer", action="store_true", help="without node oidc-provider (pa, pb): no ratios to it are printed"
    )
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL 15 instead of SQLite")
    parser.add_argument("--redis", action="store_true", help="a throwaway redis-server as REDIS_URL")
    parser.add_argument("--scenarios", default="abcdefg", help="which of a-g to run (e, the ceiling, always runs)")
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="(a) and (b) on 1, 2 and 4 worker processes and on two 1-worker servers with the load split "
        "between them, one database (use with --postgres --redis), then the checks",
    )
    parser.add_argument("--no-checks", action="store_true", help="skip the durability and invalidation checks")
    parser.add_argument("--profile", action="store_true", help="then sample each scenario's servers with py-spy")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, database)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration < 1 or not 1 <= args.connections <= 1000:
        parser.error("--rounds and --duration must be at least 1, --connections within 1..1000")
    return args


# A round in which any scenario ran below this share of its best round was disturbed (on this shared
# virtual machine, the host takes the CPU away for seconds at a time: every request then costs two to
# three times its CPU). It is discarded and run again, at most `rounds` times over.
DISTURBED_BELOW = 0.6
# Worker processes per authorization server in --scale-out.
SCALE_OUT_WORKERS = (1, 2, 4)


def measure(
    load: Load,
    scenarios: list[Scenario],
    rounds: int,
    warmup: float,
    discard_disturbed: bool = True,
    order_of_round: Callable[[int], list[Scenario]] | None = None,
) -> tuple[dict[str, list[Result]], list[str]]:
    """Interleaved: each round runs every scenario once, the order rotated so none always goes first
    (or as ``order_of_round(round)`` lists them).

    ``discard_disturbed=False`` keeps every round: when comparing servers, one that stalls now and then
    is what is being measured."""
    kept: list[dict[str, Result]] = []
    bodies: list[str] = []
    if warmup > 0:
        for scenario in scenarios:
            run_once(load, scenario, warmup)
    for attempt in range(2 * rounds if discard_disturbed else rounds):
        if len(kept) == rounds:
            break
        if order_of_round is not None:
            order = order_of_round(attempt)
        else:
            order = scenarios[attempt % len(scenarios) :] + scenarios[: attempt % len(scenarios)]
        this_round: dict[str, Result] = {}
        for scenario in order:
            cpu_before = cpu_seconds(scenario.servers)
            result = run_once(load, scenario)
            result.server_cpu_s = cpu_seconds(scenario.servers) - cpu_before
            this_round[scenario.key] = result
            if scenario.key.startswith("a"):
                bodies.extend(result.bodies)
        print(
            f"round {attempt + 1}: " + ", ".join(f"({s.key}) {this_round[s.key].rps:.0f}/s" for s in scenarios),
            flush=True,
        )
        kept.append(this_round)
        if discard_disturbed:
            for disturbed, why in _disturbed(kept):
                kept.remove(disturbed)
                print(f"  discarded a disturbed round: {why}", flush=True)
    if len(kept) < rounds:
        print(f"  kept {len(kept)} of {rounds} rounds: the machine stayed disturbed", flush=True)
    return {s.key: [r[s.key] for r in kept] for s in scenarios}, bodies


def run_once(load: Load, scenario: Scenario, duration: float | None = None) -> Result:
    if scenario.also:
        return load.run_split((scenario.request, *scenario.also), duration)
    return load.run(scenario.request, duration)


def _disturbed(rounds: list[dict[str, Result]]) -> list[tuple[dict[str, Result], str]]:
    """Each round to discard, with what shows it was disturbed. A round with errors stays (they must
    be reported), and so does at least one round: the one closest to every scenario's best."""
    best = {key: max(r[key].rps for r in rounds) for key in rounds[0]}
    found = []
    for this_round in rounds:
        if any(result.non2xx or result.socket_errors for result in this_round.values()):
            continue
        for key, result in this_round.items():
            if result.rps < DISTURBED_BELOW * best[key]:
                found.append((this_round, f"({key}) {result.rps:.0f}/s against {best[key]:.0f}/s in its best round"))
                break
    if len(found) == len(rounds):
        found.remove(max(found, key=lambda item: min(item[0][key].rps / best[key] for key in best if best[key])))
    return found


def run(args: argparse.Namespace, work: Path) -> int:
    settings = ServerSettings(args.server, args.workers, args.worker_class, args.threads, args.backpressure)
    load = Load(args.connections, args.wrk_threads, args.duration)
    # Servers end before the database they use: ExitStack's callbacks run after Processes exits.
    with contextlib.ExitStack() as cleanup, Processes(work / "logs") as processes:
        database_url = None
        if args.postgres:
            database_url = start_postgres(cleanup)
        redis_url = start_redis(cleanup) if args.redis else None
        auth_port = free_port()
        instance = Instance(work, database_url, redis_url, auth_port)
        with_peer = not args.no_peer and not args.scale_out and bool({"a", "b"} & set(args.scenarios))
        stack = Stack(processes, instance, settings, auth_port, with_peer)
        if set(args.scenarios) <= {"e"}:
            scenarios = [stack.start_ceiling()]
        else:
            bench, rs = instance.prepare()
            stack.start(bench, rs)
            if args.scale_out:
                scenarios = stack.scale_out_scenarios(bench, rs, SCALE_OUT_WORKERS)
            else:
                jwt = instance.jwt_client() if "g" in args.scenarios else None
                scenarios = [s for s in stack.scenarios(bench, rs, jwt) if s.key[-1] in args.scenarios or s.key == "e"]
        print(describe(args, settings, stack), flush=True)
        results, bodies = measure(load, scenarios, args.rounds, args.warmup)
        rows = [summarize(s, results[s.key]) for s in scenarios]
        print(f"after the rounds: {load_average()}")
        print()
        print(table(rows))
        print(LEGEND)
        print(rounds_detail(rows))
        print(targets(rows, args.postgres and args.redis))
        failures = problems(rows)
        if args.profile:
            for scenario in scenarios:
                print(profile.record(load, scenario, work / "profiles", args.duration), flush=True)
        if not args.no_checks and (args.scale_out or {"a", "b", "c", "d"} <= set(args.scenarios)):
            failures += checks.durability(stack, rs, checks.tokens_from(bodies))
            failures += checks.revocation_reaches_every_worker(stack, bench, rs)
            if args.scale_out:
                failures += checks.revocation_reaches_every_cached_worker(stack, bench, rs, max(SCALE_OUT_WORKERS))
            failures += checks.disabled_client_refused_within_a_second(stack, bench)
            if not failures:
                print(
                    "checks: tokens issued under load introspect active after both apps were killed and "
                    "restarted; a revocation and a disabled client reach every worker within 1 s"
                )
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


def start_postgres(cleanup: contextlib.ExitStack) -> str:
    from tests.support.postgres import PostgresServer
    from tests.support.postgres import admin

    server = PostgresServer().start()
    cleanup.callback(server.stop)
    admin(server.url, "CREATE DATABASE bench")
    return f"{server.url}/bench"


def start_redis(cleanup: contextlib.ExitStack) -> str:
    from tests.support.redis import RedisServer

    server = RedisServer().start()
    cleanup.callback(server.stop)
    return server.url


def describe(args: argparse.Namespace, settings: ServerSettings, stack: Stack) -> str:
    storage = "PostgreSQL 15" if args.postgres else "SQLite (WAL)"
    peer_line = (
        f"; peer: oidc-provider {peer.oidc_provider_version()} on node {peer.node_version()}, one process"
        if stack.peer is not None
        else ""
    )
    return (
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}: {settings.describe()}; {storage}"
        f"{' + Redis' if args.redis else ''}; wrk -t{args.wrk_threads} -c{args.connections} "
        f"-d{args.duration:g}s x {args.rounds} rounds (interleaved, warm-up {args.warmup:g} s){peer_line}; "
        f"{load_average()}"
    )


def load_average() -> str:
    """Other work on the machine makes figures incomparable: every run prints what it ran beside."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def bench() -> int:
        ensure_tools(args.server, *(("py-spy",) if args.profile else ()))
        work = Path(tempfile.mkdtemp(prefix="authserver-bench-"))
        (work / "logs").mkdir()
        try:
            return run(args, work)
        finally:
            if args.keep:
                print(f"work directory kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)

    return run_guarded("bench", bench)


if __name__ == "__main__":
    sys.exit(main())
