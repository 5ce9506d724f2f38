#!/usr/bin/env python
"""How near (a) and (b) are to their floors: the token and introspection requests on the
authorization server and on ``benchmarks/floor.py`` (a bare Flask app doing only the unavoidable part:
one SHA-256 of the client secret, one INSERT or indexed SELECT on the same table, a JSON answer),
with the bare hello app as the ceiling, interleaved in one run under the same server settings.

    .venv/bin/python benchmarks/floors.py --server granian [--postgres --redis] [--rounds 3]

The floor's ratio to hello is the most any token endpoint (or introspection endpoint) on this
Python stack and this storage can reach; a target above it is out of reach whatever our code does.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor import CLIENTS_ENV  # noqa: E402
from benchmarks.floor import DATABASE_ENV  # noqa: E402
from benchmarks.instance import Instance  # noqa: E402
from benchmarks.instance import discover  # noqa: E402
from benchmarks.instance import issue_token  # noqa: E402
from benchmarks.load import Load  # noqa: E402
from benchmarks.load import Request  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import run_guarded  # noqa: E402
from benchmarks.report import problems  # noqa: E402
from benchmarks.report import summarize  # noqa: E402
from benchmarks.report import table  # noqa: E402
from benchmarks.run import measure  # noqa: E402
from benchmarks.run import start_postgres  # noqa: E402
from benchmarks.run import start_redis  # noqa: E402
from benchmarks.servers import SERVERS  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.stack import TOKEN_FORM  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--server", choices=SERVERS, default=ServerSettings.server)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--redis", action="store_true")
    args = parser.parse_args(argv)

    def floors() -> int:
        ensure_tools(args.server)
        work = Path(tempfile.mkdtemp(prefix="authserver-floors-"))
        (work / "logs").mkdir()
        try:
            return run(args, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    return run_guarded("floors", floors)


def run(args: argparse.Namespace, work: Path) -> int:
    settings = ServerSettings(args.server, args.workers, "gthread", args.threads)
    with contextlib.ExitStack() as cleanup, Processes(work / "logs") as processes:
        database_url = start_postgres(cleanup) if args.postgres else None
        redis_url = start_redis(cleanup) if args.redis else None
        auth_port = free_port()
        instance = Instance(work, database_url, redis_url, auth_port)
        bench, rs = instance.prepare()
        auth = processes.start(Server("authserver", "authserver.wsgi:app", auth_port, instance.env, settings))
        hello = processes.start(Server("hello", "benchmarks.hello:app", free_port(), dict(os.environ), settings))
        clients = {c.client_id: hashlib.sha256(c.client_secret.encode()).hexdigest() for c in (bench, rs)}
        floor_env = {
            **os.environ,
            DATABASE_ENV: database_url or str(instance.instance_path / "authserver.sqlite3"),
            CLIENTS_ENV: json.dumps(clients),
        }
        floor = processes.start(Server("floor", "benchmarks.floor:app", free_port(), floor_env, settings))
        metadata = discover(instance.issuer)
        token = issue_token(metadata["token_endpoint"], bench)
        introspect = f"token={token}"
        scenarios = [
            Scenario(
                "a",
                "token (client_credentials)",
                Request(metadata["token_endpoint"], "POST", TOKEN_FORM, bench.basic),
                (auth,),
            ),
            Scenario("a0", "floor of (a)", Request(floor.url + "/token", "POST", TOKEN_FORM, bench.basic), (floor,)),
            Scenario(
                "b", "introspection", Request(metadata["introspection_endpoint"], "POST", introspect, rs.basic), (auth,)
            ),
            Scenario("b0", "floor of (b)", Request(floor.url + "/introspect", "POST", introspect, rs.basic), (floor,)),
            Scenario("e", "bare Flask hello (ceiling)", Request(hello.url + "/"), (hello,)),
        ]
        storage = "PostgreSQL 15" if args.postgres else "SQLite (WAL)"
        print(f"{settings.describe()}; {storage}{' + Redis' if args.redis else ''}; {args.rounds} rounds", flush=True)
        results, _ = measure(Load(duration=args.duration), scenarios, args.rounds, args.warmup)
        rows = {s.key: summarize(s, results[s.key]) for s in scenarios}
        print()
        print(table(list(rows.values())))
        for key in ("a", "b"):
            ours, floor_row = rows[key], rows[key + "0"]
            print(
                f"({key}) against its floor: {ours.rps / floor_row.rps:.2f} of its req/s, "
                f"{ours.cpu_us - floor_row.cpu_us:+.0f} us CPU per request"
            )
        failures = problems(list(rows.values()))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
