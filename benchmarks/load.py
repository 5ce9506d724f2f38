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
    # A file of access tokens sent in turn as Bearer tokens (instead of ``authorization``).
    tokens_file: str = ""


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
        seconds = self._seconds(duration)
        try:
            completed = subprocess.run(
                self._command(request, self.connections, self.threads, seconds),
                env=self._env(request),
                capture_output=True,
                text=True,
                timeout=seconds + 60,
            )
        except subprocess.TimeoutExpired:
            # wrk waits on connections a server accepted and never answered: it served nothing.
            return Result(0, seconds, 0.0, 0.0, 0.0, 0, self.connections, [f"{request.url}: no answer"], [])
        return self._result(request, completed.returncode, completed.stdout, completed.stderr)

    def run_split(self, requests: tuple[Request, ...], duration: float | None = None) -> Result:
        """One wrk per request, all at once, the connections and threads shared out between them:
        the requests per second are summed, the latency percentiles are the worst of them."""
        seconds = self._seconds(duration)
        share = max(1, self.connections // len(requests))
        threads = max(1, self.threads // len(requests))
        running = [
            (
                request,
                subprocess.Popen(
                    self._command(request, share, threads, seconds),
                    env=self._env(request),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
            for request in requests
        ]
        results = []
        for request, process in running:
            try:
                stdout, stderr = process.communicate(timeout=seconds + 60)
            finally:
                if process.poll() is None:
                    process.kill()
            results.append(self._result(request, process.returncode, stdout, stderr))
        return combine(results)

    def _seconds(self, duration: float | None) -> int:
        return max(1, round(duration if duration is not None else self.duration))

    def _command(self, request: Request, connections: int, threads: int, seconds: int) -> list[str]:
        wrk = shutil.which("wrk")
        if wrk is None:
            raise BenchError("wrk is not installed (make bench installs it: scripts/install-system-deps.sh bench)")
        return [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            f"--timeout={self.timeout:g}s",
            "-s",
            str(SCRIPT),
            request.url,
        ]

    @staticmethod
    def _env(request: Request) -> dict[str, str]:
        return dict(
            os.environ,
            BENCH_METHOD=request.method,
            BENCH_BODY=request.body,
            BENCH_AUTHORIZATION=request.authorization,
            BENCH_TOKENS_FILE=request.tokens_file,
        )

    @staticmethod
    def _result(request: Request, returncode: int, stdout: str, stderr: str) -> Result:
        if returncode != 0:
            raise BenchError(f"wrk failed on {request.url}: {stderr.strip() or stdout.strip()}")
        return parse(stdout, request.url)


def combine(results: list[Result]) -> Result:
    """Results of loads that ran at the same time, as one: counts summed over the longest duration,
    each latency percentile the worst of them (a percentile of the union is at most that)."""
    return Result(
        requests=sum(r.requests for r in results),
        duration_s=max(r.duration_s for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        max_ms=max(r.max_ms for r in results),
        non2xx=sum(r.non2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        failures=[f for r in results for f in r.failures],
        bodies=[b for r in results for b in r.bodies],
    )


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
