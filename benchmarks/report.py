"""Medians over rounds, and the one table the benchmark prints."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from benchmarks.load import Result
from benchmarks.stack import Scenario


@dataclass
class Row:
    scenario: Scenario
    rps: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    cpu_us: float
    rounds: list[float]
    failures: list[str]


def summarize(scenario: Scenario, results: list[Result]) -> Row:
    """Each figure is the median over rounds; error counts are totals over every round."""
    return Row(
        scenario=scenario,
        rps=statistics.median(r.rps for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        non2xx=sum(r.non2xx for r in results),
        socket_errors=sum(r.socket_errors for r in results),
        cpu_us=statistics.median(r.cpu_us_per_request for r in results),
        rounds=[r.rps for r in results],
        failures=[f for r in results for f in r.failures],
    )


def table(rows: list[Row], ceiling_key: str = "e") -> str:
    ceiling = next((row.rps for row in rows if row.scenario.key == ceiling_key), 0.0)
    ceiling_cpu = next((row.cpu_us for row in rows if row.scenario.key == ceiling_key), 0.0)
    header = (
        f"{'scenario':<34} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'sock err':>8} "
        f"{'cpu us/req':>10} {'cpu ratio':>9}  {'ratio':>5}  target"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        ratio = row.rps / ceiling if ceiling else 0.0
        lines.append(
            f"({row.scenario.key}) {row.scenario.label:<30} {row.rps:>8.0f} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} "
            f"{row.non2xx:>7} {row.socket_errors:>8} {row.cpu_us:>10.0f} "
            f"{ceiling_cpu / row.cpu_us if row.cpu_us else 0.0:>9.2f}  "
            + (f"{ratio:>5.2f}  {verdict(row, ratio)}" if row.scenario.key != ceiling_key else f"{'1.00':>5}")
        )
    return "\n".join(lines)


LEGEND = (
    "ratio: req/s over the ceiling's (e) in the same run, the figure the targets are about. "
    "cpu us/req: CPU time of the\nservers behind a scenario per request (for (d), the resource server and "
    "the authorization server together);\ncpu ratio: (e)'s over the scenario's, a steadier estimate "
    "of the ratio when other work shares the machine.\n(f) has no target: two bare Flask apps, one asking the "
    "other per request, the most (d) could reach."
)


def verdict(row: Row, ratio: float) -> str:
    parts = []
    if row.scenario.target_ratio is not None:
        mark = "ok" if ratio >= row.scenario.target_ratio else "MISSED"
        parts.append(f">= {row.scenario.target_ratio:.1f} {mark}")
    if row.scenario.p99_limit_ms is not None:
        mark = "ok" if row.p99_ms <= row.scenario.p99_limit_ms else "MISSED"
        parts.append(f"p99 <= {row.scenario.p99_limit_ms:.0f} ms {mark}")
    return ", ".join(parts)


def rounds_detail(rows: list[Row]) -> str:
    return "\n".join(
        f"({row.scenario.key}) req/s per round: " + ", ".join(f"{rps:.0f}" for rps in row.rounds) for row in rows
    )


def problems(rows: list[Row]) -> list[str]:
    found = []
    for row in rows:
        if row.non2xx or row.socket_errors:
            detail = f"; first failures: {' | '.join(row.failures[:3])}" if row.failures else ""
            found.append(
                f"({row.scenario.key}) {row.non2xx} non-2xx responses, {row.socket_errors} socket errors{detail}"
            )
    return found
