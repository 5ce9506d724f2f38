#!/usr/bin/env python
"""How near (a), (b), (c), (d) and (g) are to their floors: each scenario beside the same request on
``benchmarks/floor.py`` (a bare Flask app doing only the unavoidable part: one SHA-256 and one INSERT
or indexed SELECT on the same table for (a) and (b); a digest, a dict lookup and a counter for (c);
one introspection by another floor (as (b)'s floor) over a kept-alive connection and the counter for
(d); a JWT signature and claims check and the counter for (g)), with the bare hello app as the
ceiling (and, with (d), the relay (f)), interleaved in one run under the same server settings.

    .venv/bin/python benchmarks/floors.py --server granian [--postgres --redis] [--rounds 3] [--scenarios abcdg]

The floor's ratio to hello (for (d), to the relay (f); for (a) and (b), to node oidc-provider's token
and introspection endpoints, run beside them unless ``--no-peer``: each as its target is set) is the most any such
endpoint on this Python stack and this storage can reach; a target above it is out of reach whatever
our code does. (a) also runs beside (a1), the same request to Authlib's own client_credentials grant
on the floor app (``benchmarks/floor_authlib.py``): the most a token endpoint on the mandated stack
(Flask and Authlib's grants) can reach. The scenarios and their servers are ``benchmarks/stack.py``'s,
as ``make bench`` runs them.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.floor import ANSWERS_ENV  # noqa: E402
from benchmarks.floor import CLIENTS_ENV  # noqa: E402
from benchmarks.floor import DATABASE_ENV  # noqa: E402
from benchmarks.floor import INTROSPECTION_AUTH_ENV  # noqa: E402
from benchmarks.floor import INTROSPECTION_ENV  # noqa: E402
from benchmarks.floor import ISSUER_ENV  # noqa: E402
from benchmarks.floor import JWKS_ENV  # noqa: E402
from benchmarks.floor import digest  # noqa: E402
from benchmarks.instance import Credentials  # noqa: E402
from benchmarks.instance import Instance  # noqa: E402
from benchmarks.instance import post_form  # noqa: E402
from benchmarks.load import Load  # noqa: E402
from benchmarks.procs import BenchError  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.procs import run_guarded  # noqa: E402
from benchmarks.report import NOISE  # noqa: E402
from benchmarks.report import TARGETS  # noqa: E402
from benchmarks.report import Row  # noqa: E402
from benchmarks.report import problems  # noqa: E402
from benchmarks.report import summarize  # noqa: E402
from benchmarks.report import table  # noqa: E402
from benchmarks.run import measure  # noqa: E402
from benchmarks.run import start_postgres  # noqa: E402
from benchmarks.run import start_redis  # noqa: E402
from benchmarks.servers import SERVERS  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.stack import Scenario  # noqa: E402
from benchmarks.stack import Stack  # noqa: E402

# Each scenario with a floor, and the floor app's path that does the same request's unavoidable part.
FLOOR_PATHS = {"a": "/token", "b": "/introspect", "c": "/me", "d": "/me-introspect", "g": "/me-jwt"}
# A second floor of (a), (a1): the same request to Authlib's own grant and endpoint on the floor app
# (benchmarks/floor_authlib.py), the least the mandated stack can do.
AUTHLIB_FLOORS = {"a": "/token-authlib"}
AUTHLIB = "1"  # the key suffix of such a floor, as "0" is of the bare one


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
    parser.add_argument(
        "--no-peer", action="store_true", help="without node oidc-provider: (a)'s and (b)'s floors not set against it"
    )
    parser.add_argument(
        "--scenarios",
        default="".join(FLOOR_PATHS),
        help="which of a, b, c, d, g to run beside their floors (and e; with d, f too)",
    )
    args = parser.parse_args(argv)
    if not args.scenarios or set(args.scenarios) - set(FLOOR_PATHS):
        parser.error(f"--scenarios: letters of {''.join(FLOOR_PATHS)}")

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
        # (d)'s target is set against the relay (f): it runs beside (d).
        keys = args.scenarios + ("f" if "d" in args.scenarios else "")
        # The token and introspection targets are set against the peer: it runs beside (a) and (b).
        with_peer = not args.no_peer and bool({"a", "b"} & set(args.scenarios))
        stack = Stack(processes, instance, settings, auth_port, peer=with_peer).start(bench, rs, keys)
        jwt = instance.jwt_client() if "g" in args.scenarios else None
        every = {s.key: s for s in stack.scenarios(bench, rs, jwt)}
        ours = {key: s for key, s in every.items() if key in args.scenarios}
        floor_env = {
            **os.environ,
            DATABASE_ENV: database_url or str(instance.instance_path / "authserver.sqlite3"),
            CLIENTS_ENV: json.dumps({c.client_id: digest(c.client_secret) for c in (bench, rs)}),
            ANSWERS_ENV: json.dumps(introspected(stack, rs, ours.get("c"))),
            JWKS_ENV: json.dumps(jwks(stack) if "g" in ours else {"keys": []}),
            ISSUER_ENV: instance.issuer,
        }
        floor = processes.start(Server("floor", "benchmarks.floor_authlib:app", free_port(), floor_env, settings))
        servers = {key: (floor,) for key in FLOOR_PATHS}
        if "d" in ours:
            # As (d)'s resource server asks the authorization server: another process, over HTTP.
            asking = {**floor_env, INTROSPECTION_ENV: floor.url + FLOOR_PATHS["b"], INTROSPECTION_AUTH_ENV: rs.basic}
            floor_d = processes.start(Server("floor-d", "benchmarks.floor:app", free_port(), asking, settings))
            servers["d"] = (floor_d, floor)
        scenarios = [s for scenario in ours.values() for s in (scenario, *floors_of(scenario, servers[scenario.key]))]
        if "d" in ours:
            scenarios.append(every["f"])
        scenarios += [every[key] for key in ("pa", "pb") if key in every and key[1] in ours]
        scenarios.append(stack.ceiling())
        storage = "PostgreSQL 15" if args.postgres else "SQLite (WAL)"
        print(f"{settings.describe()}; {storage}{' + Redis' if args.redis else ''}; {args.rounds} rounds", flush=True)
        results, _ = measure(Load(duration=args.duration), scenarios, args.rounds, args.warmup)
        rows = {s.key: summarize(s, results[s.key]) for s in scenarios}
        print()
        print(table(list(rows.values())))
        print(against_floors(rows, args.postgres and args.redis))
        failures = problems(list(rows.values()))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


def floors_of(scenario: Scenario, servers: tuple[Server, ...]) -> list[Scenario]:
    """The scenario's own request (method, body, credentials, token rotation) sent to the first of
    the floor's servers, the CPU of all of them counted (for (d), the floor asking and the one asked):
    to its bare floor, and for (a) to its floor with Authlib's grant too."""
    key = scenario.key
    paths = {"0": (FLOOR_PATHS[key], f"floor of ({key})")}
    if key in AUTHLIB_FLOORS:
        paths[AUTHLIB] = (AUTHLIB_FLOORS[key], f"floor of ({key}) with Authlib's grant")
    return [
        Scenario(key + suffix, label, dataclasses.replace(scenario.request, url=servers[0].url + path), servers)
        for suffix, (path, label) in paths.items()
    ]


def introspected(stack: Stack, rs: Credentials, scenario: Scenario | None) -> dict[str, dict]:
    """What introspection answers for (c)'s token, under its digest: the floor of (c) keeps it as
    (c)'s resource server keeps it cached."""
    if scenario is None:
        return {}
    token = scenario.request.authorization.removeprefix("Bearer ")
    status, answer = post_form(stack.introspection_endpoint, {"token": token}, rs.basic)
    if status != 200 or answer.get("active") is not True:
        raise BenchError(f"introspection of (c)'s token answered {status}: {answer}")
    return {digest(token): answer}


def jwks(stack: Stack) -> dict:
    """The authorization server's published keys, as (g)'s resource server fetches them."""
    with urllib.request.urlopen(stack.metadata["jwks_uri"], timeout=10) as response:
        return json.load(response)


def against_floors(rows: dict[str, Row], postgres_redis: bool) -> str:
    """Each scenario against its floor, each floor against hello, and each target of issue 18 set
    against hello or the relay (f): whether the floor itself reaches it."""
    hello = rows["e"]
    lines = []
    floors = (("0", "its floor"), (AUTHLIB, "its floor with Authlib's grant"))
    for key in FLOOR_PATHS:
        for suffix, name in floors:
            ours, floor = rows.get(key), rows.get(key + suffix)
            if ours is None or floor is None:
                continue
            lines.append(
                f"({key}) against {name}: {_ratio(ours.rps, floor.rps):.2f} of its req/s, "
                f"{ours.cpu_us - floor.cpu_us:+.0f} us CPU per request; the floor: "
                f"{_ratio(floor.rps, hello.rps):.2f} of hello's req/s, CPU ratio {_ratio(hello.cpu_us, floor.cpu_us):.2f}"
            )
    for target in TARGETS:
        for suffix, name in floors:
            floor, base = rows.get(target.key + suffix), rows.get(target.against)
            if floor is None or base is None or (target.postgres_redis_only and not postgres_redis):
                continue
            ratio = _ratio(floor.rps, base.rps)
            verdict = (
                "above: within reach" if ratio >= target.at_least else "BELOW: out of reach whatever our code does"
            )
            noise = " (within the noise of a run)" if abs(ratio - target.at_least) < NOISE else ""
            lines.append(
                f"target {target.label} >= {target.at_least:.2f}: {name} is at {ratio:.2f} "
                f"(CPU ratio {_ratio(base.cpu_us, floor.cpu_us):.2f}), {verdict}{noise}"
            )
    return "\n".join(lines)


def _ratio(figure: float, base: float) -> float:
    """0 when the base is 0 (a server that served nothing: ``problems`` fails the run for it)."""
    return figure / base if base else 0.0


if __name__ == "__main__":
    sys.exit(main())
