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
    names = [f"({row.scenario.key}) {row.scenario.label}" for row in rows]
    width = max([34, *(len(name) for name in names)])
    header = (
        f"{'scenario':<{width}} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7} {'sock err':>8} "
        f"{'cpu us/req':>10} {'cpu ratio':>9}  {'ratio':>5}"
    )
    lines = [header, "-" * len(header)]
    for name, row in zip(names, rows):
        ratio = row.rps / ceiling if ceiling else 0.0
        lines.append(
            f"{name:<{width}} {row.rps:>8.0f} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} "
            f"{row.non2xx:>7} {row.socket_errors:>8} {row.cpu_us:>10.0f} "
            f"{ceiling_cpu / row.cpu_us if row.cpu_us else 0.0:>9.2f}  {ratio:>5.2f}"
        )
    return "\n".join(lines)


LEGEND = (
    "ratio: req/s over the ceiling's (e) in the same run. "
    "cpu us/req: CPU time of the\nservers behind a scenario per request (for (d), the resource server and "
    "the authorization server together);\ncpu ratio: (e)'s over the scenario's, a steadier estimate "
    "of the ratio when other work shares the machine.\n(f): two bare Flask apps, one asking the "
    "other per request, the most (d) could reach. (pa), (pb): node oidc-provider, in memory."
)


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
        elif 0 in row.rounds:
            found.append(f"({row.scenario.key}) served no request in a round (its server took no new connection)")
    return found


@dataclass(frozen=True)
class Target:
    """``key``'s req/s at least ``at_least`` times ``against``'s, both medians of the same run."""

    label: str
    key: str
    against: str
    at_least: float
    postgres_redis_only: bool = False


TARGETS = (
    Target("token (a) / oidc-provider's (pa)", "a", "pa", 0.75),
    Target("introspection (b) / oidc-provider's (pb)", "b", "pb", 0.9),
    Target("/v1/me warm (c) / hello (e)", "c", "e", 0.9),
    Target("/v1/me cache off (d) / floor (f)", "d", "f", 0.8),
    Target("/v1/me JWT, local (g) / hello (e)", "g", "e", 0.9),
    Target("PostgreSQL + Redis: token (a) / hello (e)", "a", "e", 0.45, postgres_redis_only=True),
    Target("PostgreSQL + Redis: introspection (b) / hello (e)", "b", "e", 0.55, postgres_redis_only=True),
)
P99_LIMIT_MS = 50
# Between two runs on a quiet machine each ratio moved by up to this much (docs/performance.md, Noise).
NOISE = 0.03


def targets(rows: list[Row], postgres_redis: bool) -> str:
    """Every target, each met or not met, whichever scenarios ran (a missing one says so)."""
    by_key = {row.scenario.key: row for row in rows}
    lines = ["targets (issue 18), medians of this run:"]
    for target in TARGETS:
        row, base = by_key.get(target.key), by_key.get(target.against)
        if target.postgres_redis_only and not postgres_redis:
            state = "not measured: a --postgres --redis run"
        elif row is None or base is None or not base.rps:
            missing = ", ".join(f"({k})" for k in (target.key, target.against) if by_key.get(k) is None)
            state = f"not measured: {missing or '(' + target.against + ') served nothing'} did not run"
        else:
            ratio = row.rps / base.rps
            state = f"{ratio:.2f}  {'met' if ratio >= target.at_least else 'NOT MET'}"
            if abs(ratio - target.at_least) < NOISE:
                state += " (within the noise of a run)"
        lines.append(f"  {target.label:<52} >= {target.at_least:<5.2f} {state}")
    worst = max(rows, key=lambda row: row.p99_ms)
    lines.append(
        f"  {'p99, every scenario':<52} <= {P99_LIMIT_MS} ms "
        f"{'met' if worst.p99_ms <= P99_LIMIT_MS else 'NOT MET'} (worst: ({worst.scenario.key}) {worst.p99_ms:.1f} ms)"
    )
    errors = sum(row.non2xx + row.socket_errors for row in rows)
    lines.append(
        f"  {'non-2xx responses and socket errors':<52} =  0    {'met' if not errors else f'NOT MET ({errors})'}"
    )
    idle = [f"({row.scenario.key})" for row in rows if 0 in row.rounds]
    if idle:
        lines.append(f"  {'every scenario served':<52}          NOT MET: {', '.join(idle)} served nothing in a round")
    return "\n".join(lines)
