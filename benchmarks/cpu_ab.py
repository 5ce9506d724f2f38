#!/usr/bin/env python
"""A/B of CPU per request, in process: for effects of a few percent, which the load test
(benchmarks/ab.py) cannot resolve on a busy shared machine.

    .venv/bin/python benchmarks/cpu_ab.py --variant NAME=VALUE [--rounds 10] [--requests 2000]
    .venv/bin/python benchmarks/cpu_ab.py --against /tmp/base [--rounds 10]   # two builds

B is this checkout, with the ``--variant`` environment variables when given; A is this checkout
without them, or the checkout at ``--against`` (say ``git worktree add /tmp/base main``: then A is
main and B this branch). Each round starts one process per side, in alternating order; each
process calls the WSGI apps directly (no server, no sockets) with the requests of ``make bench``:
(a) the token request and (b) the introspection request to the authorization server, (c)
``/v1/me`` with its token's introspection cached to the resource server, (e) ``GET /`` to the bare
Flask app (this checkout's ``benchmarks/hello.py`` on both sides); it warms up, then times ``--requests`` of each with the process's CPU clock. Figures are
medians over rounds of us of CPU per request, and the median of each round's B/A ratio. What is
left out (the WSGI server's own work, HTTP parsing) is the same on both sides, so the difference in
us is the change's; as a share of a served request it is smaller than the share printed here.
(c) introspects once, to warm its cache, at an authorization server this script serves.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.instance import Instance  # noqa: E402
from benchmarks.procs import PROJECT_ROOT  # noqa: E402
from benchmarks.procs import VENV_BIN  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402
from benchmarks.stack import TOKEN_FORM  # noqa: E402

SCENARIOS = {"a": "token", "b": "introspection", "c": "/v1/me warm", "e": "hello"}


def caller(app, host: str):
    """A function sending one request to ``app`` as a WSGI server would; the body back, 200 or exit."""

    def call(method: str, path: str, body: bytes = b"", authorization: str | None = None) -> bytes:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": host.split(":")[0],
            "SERVER_PORT": host.split(":")[1],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": host,
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "REMOTE_ADDR": "127.0.0.1",
        }
        if body:
            environ.update(CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)))
        if authorization:
            environ["HTTP_AUTHORIZATION"] = authorization
        status = []
        chunks = app(environ, lambda s, h, exc=None: status.append(s))
        out = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]}: {out[:200]!r}")
        return out

    return call


def worker(requests: int, scenarios: str) -> None:
    """In the child: time each scenario through the WSGI apps; print {"a": us, ...}."""
    import logging
    import time

    # The apps of the checkout under test (the working directory), not this file's.
    sys.path.insert(0, os.getcwd())
    from authserver import create_app as create_auth
    from benchmarks.hello import app as hello
    from resource import create_app as create_resource

    bench, rs = os.environ["AB_BENCH_BASIC"], os.environ["AB_RS_BASIC"]
    host = os.environ["AUTHSERVER_ISSUER"].removeprefix("http://")
    auth = caller(create_auth(), host)
    token = json.loads(auth("POST", "/oauth/token", TOKEN_FORM.encode(), bench))["access_token"]
    logging.getLogger("resource.metering").setLevel(logging.ERROR)
    requests_of = {
        "a": (auth, "POST", "/oauth/token", TOKEN_FORM.encode(), bench),
        "b": (auth, "POST", "/oauth/introspect", f"token={token}".encode(), rs),
        "c": (caller(create_resource(), "127.0.0.1:8001"), "GET", "/v1/me", b"", f"Bearer {token}"),
        "e": (caller(hello, "127.0.0.1:8002"), "GET", "/", b"", None),
    }
    results = {}
    for key in scenarios:
        call, *request = requests_of[key]
        for _ in range(requests // 5):
            call(*request)
        start = time.process_time()
        for _ in range(requests):
            call(*request)
        results[key] = 1e6 * (time.process_time() - start) / requests
    print(json.dumps(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--against", type=Path, help="a checkout to run as side A (this one is B)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--scenarios", default="ab", help="which of a, b, c, e (default ab)")
    args = parser.parse_args(argv)
    if not args.variant and args.against is None:
        parser.error("give --variant, --against or both")
    if set(args.scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios: letters among {''.join(SCENARIOS)}")
    variant = dict(item.split("=", 1) for item in args.variant)
    roots = {"A": (args.against or PROJECT_ROOT).resolve(), "B": PROJECT_ROOT}
    work = Path(tempfile.mkdtemp(prefix="authserver-cpu-ab-"))
    try:
        with Processes(work) as processes:
            runs = measure(args, variant, roots, work, processes)
        if runs is None:
            return 1
        print(
            f"A {roots['A']}, B {roots['B']} {variant or ''}; {args.rounds} rounds x {args.requests} requests, "
            "CPU us per request in process"
        )
        for key in args.scenarios:
            a = statistics.median(r[key] for r in runs["A"])
            b = statistics.median(r[key] for r in runs["B"])
            paired = statistics.median(y[key] / x[key] for x, y in zip(runs["A"], runs["B"]))
            print(
                f"({key}) {SCENARIOS[key]:<14} A {a:.0f} us  B {b:.0f} us  B-A {b - a:+.0f} us  paired B/A {paired - 1:+.1%}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def measure(args, variant: dict, roots: dict, work: Path, processes: Processes) -> dict | None:
    auth_port = free_port()
    instance = Instance(work, None, None, auth_port)
    bench, rs = instance.prepare()
    env = {**instance.resource_env(rs, 60), "AB_BENCH_BASIC": bench.basic, "AB_RS_BASIC": rs.basic}
    if "c" in args.scenarios:
        ensure_tools(ServerSettings().server)
        processes.start(Server("authserver", "authserver.wsgi:app", auth_port, instance.env, ServerSettings()))
    runs: dict[str, list[dict]] = {"A": [], "B": []}
    for round_ in range(args.rounds):
        for side in "AB" if round_ % 2 == 0 else "BA":
            root = roots[side]
            child = subprocess.run(
                [str(VENV_BIN / "python"), __file__, "--worker", str(args.requests)] + [args.scenarios],
                cwd=root,
                env={**env, "PYTHONPATH": str(root), **(variant if side == "B" else {})},
                capture_output=True,
                text=True,
                timeout=600,
            )
            if child.returncode != 0:
                print(child.stderr[-2000:], file=sys.stderr)
                return None
            runs[side].append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(
            f"round {round_ + 1}: "
            + ", ".join(f"({k}) A {runs['A'][-1][k]:.0f} us, B {runs['B'][-1][k]:.0f} us" for k in args.scenarios),
            flush=True,
        )
    return runs


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), sys.argv[3] if len(sys.argv) == 4 else "ab")
    else:
        sys.exit(main())
