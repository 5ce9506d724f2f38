#!/usr/bin/env python
"""A/B: the same scenarios on two copies of a server side by side, one started with extra environment
variables (the variant), measured interleaved in the same run (the machine is shared and noisy:
compare two servers at once, never against figures from another run).

    .venv/bin/python benchmarks/ab.py --variant NAME=VALUE [--variant ...] [--scenarios abcdf]
        [--postgres] [--redis] [--rounds 5] [--duration 5]

(a) token and (b) introspection run against authorization servers A and B; (c) and (d) against
resource servers A and B (B's cache-off server introspects at authorization server A, so only the
resource server differs); (f) against relays A and B. The table gives each scenario's median req/s
and CPU per request for A and B and B's change; the variant variables are what the code under test
reads to switch (see docs/performance.md for the ones each decision used).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.instance import Instance  # noqa: E402
from benchmarks.instance import issue_token  # noqa: E402
from benchmarks.load import Load  # noqa: E402
from benchmarks.load import Request  # noqa: E402
from benchmarks.procs import BenchError  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import interrupt_on_signals  # noqa: E402
from benchmarks.relay import UPSTREAM_ENV  # noqa: E402
from benchmarks.run import measure  # noqa: E402
from benchmarks.run import start_postgres  # noqa: E402
from benchmarks.run import start_redis  # noqa: E402
from benchmarks.servers import SERVERS  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.stack import RESOURCE_CACHE_TTL  # noqa: E402
from benchmarks.stack import TOKEN_FORM  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402
from benchmarks.stack import Stack  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=VALUE")
    parser.add_argument("--scenarios", default="abcdf")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--warmup", type=float, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--server", choices=SERVERS, default="granian")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--redis", action="store_true")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, work: Path) -> str:
    variant = dict(item.split("=", 1) for item in args.variant)
    settings = ServerSettings(args.server, args.workers, "gthread", args.threads)
    load = Load(args.connections, 2, args.duration)
    with contextlib.ExitStack() as cleanup, Processes(work / "logs") as processes:
        database_url = start_postgres(cleanup) if args.postgres else None
        redis_url = start_redis(cleanup) if args.redis else None
        auth_port = free_port()
        instance = Instance(work, database_url, redis_url, auth_port)
        stack = Stack(processes, instance, settings, auth_port)
        bench, rs = instance.prepare()
        stack.start(bench, rs)
        a = stack.auth
        b = processes.start(Server("authserver-B", a.target, free_port(), {**instance.env, **variant}, settings))
        res_b = processes.start(
            Server(
                "resource-B",
                "resource.wsgi:app",
                free_port(),
                {**instance.resource_env(rs, RESOURCE_CACHE_TTL), **variant},
                settings,
            )
        )
        nocache_b = processes.start(
            Server(
                "resource-nocache-B",
                "resource.wsgi:app",
                free_port(),
                {**instance.resource_env(rs, 0), **variant},
                settings,
            )
        )
        relay_b = processes.start(
            Server(
                "relay-B",
                "benchmarks.relay:app",
                free_port(),
                {**os.environ, UPSTREAM_ENV: stack.hello.url, **variant},
                settings,
            )
        )
        token = issue_token(stack.token_endpoint, bench)
        bearer = f"Bearer {token}"
        token_path = stack.token_endpoint.removeprefix(a.url)
        introspect_path = stack.introspection_endpoint.removeprefix(a.url)
        pairs = {
            "a": lambda server: Request(server.url + token_path, "POST", TOKEN_FORM, bench.basic),
            "b": lambda server: Request(server.url + introspect_path, "POST", f"token={token}", rs.basic),
            "c": lambda server: Request(server.url + "/v1/me", authorization=bearer),
            "d": lambda server: Request(server.url + "/v1/me", authorization=bearer),
            "f": lambda server: Request(server.url + "/"),
        }
        servers = {
            "a": (a, b),
            "b": (a, b),
            "c": (stack.resource, res_b),
            "d": (stack.resource_uncached, nocache_b),
            "f": (stack.relay, relay_b),
        }
        scenarios = []
        for key in args.scenarios:
            for side, server in zip("AB", servers[key]):
                scenarios.append(Scenario(f"{key}{side}", f"({key}) {side}", pairs[key](server), (server,)))
        print(
            f"variant B: {variant}; {settings.describe()}; {'PostgreSQL' if args.postgres else 'SQLite'}"
            f"{' + Redis' if args.redis else ''}; {args.rounds} rounds x {args.duration:g} s",
            flush=True,
        )
        results, _ = measure(load, scenarios, args.rounds, args.warmup, discard_disturbed=False)
    lines = [f"{'':<4} {'A req/s':>9} {'B req/s':>9} {'B/A':>7}   {'A us/req':>9} {'B us/req':>9} {'B/A':>7}"]
    for key in args.scenarios:
        ra, rb = results[f"{key}A"], results[f"{key}B"]
        rps_a, rps_b = (statistics.median(r.rps for r in rs_) for rs_ in (ra, rb))
        cpu_a, cpu_b = (statistics.median(r.cpu_us_per_request for r in rs_) for rs_ in (ra, rb))
        # Per round, B over A (the two ran back to back): steadier than the ratio of medians.
        paired = statistics.median(y.rps / x.rps for x, y in zip(ra, rb) if x.rps)
        errors = sum(r.non2xx + r.socket_errors for r in ra + rb)
        lines.append(
            f"({key}) {rps_a:>9.0f} {rps_b:>9.0f} {rps_b / rps_a - 1:>+7.1%}   {cpu_a:>9.0f} {cpu_b:>9.0f} "
            f"{cpu_b / cpu_a - 1 if cpu_a else 0:>+7.1%}   paired req/s {paired - 1:+.1%}"
            + (f"  ERRORS {errors}" if errors else "")
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    interrupt_on_signals()
    work = Path(tempfile.mkdtemp(prefix="authserver-ab-"))
    (work / "logs").mkdir()
    try:
        ensure_tools(args.server)
        print(run(args, work))
    except BenchError as exc:
        print(f"ab: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
