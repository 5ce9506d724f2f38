#!/usr/bin/env python
"""A/B of the authorization server's CPU per request, in process: for effects of a few percent, which
the load test (benchmarks/ab.py) cannot resolve on a busy shared machine.

    .venv/bin/python benchmarks/cpu_ab.py --variant NAME=VALUE [--rounds 10] [--requests 2000]

Each round starts one process per side (B with the variant environment variables), in alternating
order; each process calls the WSGI app directly (no server, no sockets) with the token request (a)
and the introspection request (b) of ``make bench``, warms up, then times ``--requests`` of each with
the process's CPU clock. Figures are medians over rounds of us of CPU per request, and the median of
each round's B/A ratio. What is left out (the WSGI server's own work, HTTP parsing) is the same on
both sides, so the difference in us is the variant's; as a share of the whole path it is smaller
than the share printed here.
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
from benchmarks.stack import TOKEN_FORM  # noqa: E402


def worker(requests: int) -> None:
    """In the child: time (a) and (b) through the WSGI app; print {"a": us, "b": us}."""
    import time

    from authserver import create_app

    app = create_app()
    bench, rs = os.environ["AB_BENCH_BASIC"], os.environ["AB_RS_BASIC"]
    host = os.environ["AUTHSERVER_ISSUER"].removeprefix("http://")

    def call(path: str, body: bytes, authorization: str) -> bytes:
        environ = {
            "REQUEST_METHOD": "POST",
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
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": authorization,
            "REMOTE_ADDR": "127.0.0.1",
        }
        status = []
        chunks = app(environ, lambda s, h, exc=None: status.append(s))
        out = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path} answered {status[0]}: {out[:200]!r}")
        return out

    token = json.loads(call("/oauth/token", TOKEN_FORM.encode(), bench))["access_token"]
    introspect = f"token={token}".encode()
    results = {}
    for key, path, body, auth in (
        ("a", "/oauth/token", TOKEN_FORM.encode(), bench),
        ("b", "/oauth/introspect", introspect, rs),
    ):
        for _ in range(requests // 5):
            call(path, body, auth)
        start = time.process_time()
        for _ in range(requests):
            call(path, body, auth)
        results[key] = 1e6 * (time.process_time() - start) / requests
    print(json.dumps(results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", required=True, metavar="NAME=VALUE")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    variant = dict(item.split("=", 1) for item in args.variant)
    work = Path(tempfile.mkdtemp(prefix="authserver-cpu-ab-"))
    try:
        instance = Instance(work, None, None, 5000)
        bench, rs = instance.prepare()
        env = {**instance.env, "AB_BENCH_BASIC": bench.basic, "AB_RS_BASIC": rs.basic}
        runs: dict[str, list[dict]] = {"A": [], "B": []}
        for round_ in range(args.rounds):
            for side in "AB" if round_ % 2 == 0 else "BA":
                child = subprocess.run(
                    [str(VENV_BIN / "python"), __file__, "--worker", str(args.requests)],
                    cwd=PROJECT_ROOT,
                    env={**env, **(variant if side == "B" else {})},
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                if child.returncode != 0:
                    print(child.stderr[-2000:], file=sys.stderr)
                    return 1
                runs[side].append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"({k}) A {runs['A'][-1][k]:.0f} us, B {runs['B'][-1][k]:.0f} us" for k in ("a", "b")),
                flush=True,
            )
        print(f"variant B: {variant}; {args.rounds} rounds x {args.requests} requests, CPU us per request in process")
        for key in ("a", "b"):
            a = statistics.median(r[key] for r in runs["A"])
            b = statistics.median(r[key] for r in runs["B"])
            paired = statistics.median(y[key] / x[key] for x, y in zip(runs["A"], runs["B"]))
            print(f"({key}) A {a:.0f} us  B {b:.0f} us  B-A {b - a:+.0f} us  paired B/A {paired - 1:+.1%}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]))
    else:
        sys.exit(main())
