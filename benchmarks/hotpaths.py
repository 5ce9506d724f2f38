#!/usr/bin/env python
"""In-process cost of each hot path, without HTTP servers or a load generator in the way: Flask's
test client sends N requests per path, timed, then once more under pyinstrument.

    .venv/bin/python benchmarks/hotpaths.py [--requests 2000] [--tree token|introspect|me|me-nocache|hello ...]

Prints CPU microseconds per request for each path (the CPU a worker spends on it) and, with --tree,
pyinstrument's call tree of the named paths. Uses a throwaway SQLite instance made through the CLI.
me-nocache introspects every request at an authorization server run by granian in its own
processes, so its figure is the resource server's own CPU, HTTP client included.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.instance import BENCH_SCOPE  # noqa: E402
from benchmarks.instance import METADATA_PATH  # noqa: E402
from benchmarks.instance import Instance  # noqa: E402
from benchmarks.procs import Processes  # noqa: E402
from benchmarks.procs import Server  # noqa: E402
from benchmarks.procs import free_port  # noqa: E402
from benchmarks.servers import ServerSettings  # noqa: E402
from benchmarks.servers import ensure_tools  # noqa: E402


def build(work: Path, processes: Processes):
    """The apps on one throwaway instance. The resource servers reach the real authorization server
    over loopback HTTP as in production: served by granian in its own processes (keep-alive, as
    deployed), so the CPU measured here is the resource server's alone."""
    auth_port = free_port()
    instance = Instance(work, None, None, auth_port)
    bench, rs = instance.prepare()
    ensure_tools("granian")
    processes.start(Server("authserver", "authserver.wsgi:app", auth_port, instance.env, ServerSettings()))
    os.environ.update(instance.resource_env(rs, 60))
    from authserver import create_app as create_auth
    from benchmarks.hello import app as hello
    from resource import create_app as create_resource

    auth = create_auth()
    resource = create_resource()
    # One introspection HTTP call per request (scenario (d)).
    uncached = create_resource({"resource_cache_ttl": 0})
    logging.getLogger("resource.metering").setLevel(logging.ERROR)
    client = auth.test_client()
    token_form = {"grant_type": "client_credentials", "scope": BENCH_SCOPE}
    metadata = client.get(METADATA_PATH).get_json()
    token_path = urlsplit(metadata["token_endpoint"]).path
    introspect_path = urlsplit(metadata["introspection_endpoint"]).path
    answer = client.post(token_path, data=token_form, headers={"Authorization": bench.basic})
    if answer.status_code != 200:
        raise SystemExit(f"token endpoint answered {answer.status_code}: {answer.get_data(as_text=True)}")
    token = answer.get_json()["access_token"]
    return {
        "token": (client, "post", token_path, token_form, bench.basic),
        "introspect": (client, "post", introspect_path, {"token": token}, rs.basic),
        "me": (resource.test_client(), "get", "/v1/me", None, f"Bearer {token}"),
        "me-nocache": (uncached.test_client(), "get", "/v1/me", None, f"Bearer {token}"),
        "hello": (hello.test_client(), "get", "/", None, None),
    }


def send(path) -> None:
    client, method, url, form, authorization = path
    headers = {"Authorization": authorization} if authorization else {}
    response = getattr(client, method)(url, data=form, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{method.upper()} {url} answered {response.status_code}: {response.get_data(as_text=True)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--tree", nargs="*", default=[], choices=("token", "introspect", "me", "me-nocache", "hello"))
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="authserver-hotpaths-"))
    try:
        with Processes(work) as processes:
            return measure(build(work, processes), args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(paths: dict, args) -> int:
    for name, path in paths.items():
        for _ in range(50):
            send(path)
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(args.requests):
            send(path)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        # CPU time is the steadier figure when other work shares the machine.
        print(
            f"{name:<11} {1e6 * cpu / args.requests:6.0f} us CPU/request "
            f"({1e6 * elapsed / args.requests:.0f} us wall, {args.requests} requests)"
        )
    if args.tree:
        ensure_tools("pyinstrument")
    for name in args.tree:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        with profiler:
            for _ in range(args.requests):
                send(paths[name])
        print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
