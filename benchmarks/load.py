"""Drives one scenario with wrk at fixed concurrency and parses what ``lua/request.lua`` prints."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from benchmarks.procs import BenchError

SCRIPT = Path(__file__).resolve().parent / "lua" / "request.lua"


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "GET"
    body: str = ""
    authorization: str = ""


@dataclass
class Result:
    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    failures: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)
    server_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    @property
    def cpu_us_per_request(self) -> float:
        return 1e6 * self.server_cpu_s / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Load:
    connections: int = 16
    threads: int = 2
    duration: float = 5.0
    timeout: float = 5.0

    def run(self, request: Request, duration: float | None = None) -> Result:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise BenchError("wrk is not installed (make bench installs it: scripts/install-system-deps.sh bench)")
        seconds = max(1, round(duration if duration is not None else self.duration))
        env = dict(
            os.environ, BENCH_METHOD=request.method, BENCH_BODY=request.body, BENCH_AUTHORIZATION=request.authorization
        )
        command = [
            wrk,
            f"-t{self.threads}",
            f"-c{self.connections}",
            f"-d{seconds}s",
            f"--timeout={self.timeout:g}s",
            "-s",
            str(SCRIPT),
            request.url,
        ]
        completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 60)
        if completed.returncode != 0:
            raise BenchError(f"wrk failed on {request.url}: {completed.stderr.strip() or completed.stdout.strip()}")
        return parse(completed.stdout, request.url)


def parse(output: str, url: str) -> Result:
    summary: dict[str, int] = {}
    failures: list[str] = []
    bodies: list[str] = []
    for line in output.splitlines():
        if line.startswith("BENCH_RESULT "):
            summary = {key: int(value) for key, value in (pair.split("=") for pair in line.split()[1:])}
        elif line.startswith("BENCH_FAILURE "):
            failures.append(line.removeprefix("BENCH_FAILURE "))
        elif line.startswith("BENCH_BODY "):
            bodies.append(line.removeprefix("BENCH_BODY "))
    if not summary:
        raise BenchError(f"wrk printed no result for {url}:\n{output}")
    return Result(
        requests=summary["requests"],
        duration_s=summary["duration_us"] / 1e6,
        p50_ms=summary["p50_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        non2xx=summary["non2xx"],
        socket_errors=summary["connect"] + summary["read"] + summary["write"] + summary["timeout"],
        failures=failures,
        bodies=bodies,
    )
