"""The benchmark's verdicts: what wrk's Lua script prints becomes figures, and any non-2xx response
or socket error fails the run (timings themselves are never asserted)."""

from __future__ import annotations

import pytest

from benchmarks.floors import against_floors
from benchmarks.load import Request
from benchmarks.load import Result
from benchmarks.load import combine
from benchmarks.load import parse
from benchmarks.procs import BenchError
from benchmarks.report import Row
from benchmarks.report import problems
from benchmarks.report import summarize
from benchmarks.report import table
from benchmarks.report import targets
from benchmarks.run import measure
from benchmarks.stack import Scenario

OUTPUT = """Running 5s test @ http://127.0.0.1:5000/oauth/token
BENCH_RESULT requests=5000 duration_us=5000000 p50_us=2500 p99_us=40000 max_us=90000 non2xx=3 connect=0 read=1 write=0 timeout=2
BENCH_FAILURE 401 {"error": "invalid_client"}
BENCH_BODY {"access_token": "abc", "token_type": "Bearer"}
"""


def scenario(key: str) -> Scenario:
    return Scenario(key, f"scenario {key}", Request("http://127.0.0.1:1/"))


def test_lua_output_becomes_figures():
    result = parse(OUTPUT, "url")
    assert (result.rps, result.p50_ms, result.p99_ms) == (1000.0, 2.5, 40.0)
    assert (result.non2xx, result.socket_errors) == (3, 3)
    assert result.failures == ['401 {"error": "invalid_client"}']
    assert result.bodies == ['{"access_token": "abc", "token_type": "Bearer"}']


def test_output_without_a_result_is_an_error_not_zeroes():
    with pytest.raises(BenchError, match="no result"):
        parse("unable to connect to 127.0.0.1:1 Connection refused\n", "url")


def test_non_2xx_and_socket_errors_fail_the_run():
    bad = summarize(scenario("a"), [parse(OUTPUT, "url")])
    clean = summarize(
        scenario("e"),
        [
            parse(
                OUTPUT.replace("non2xx=3", "non2xx=0").replace("read=1", "read=0").replace("timeout=2", "timeout=0"),
                "url",
            )
        ],
    )
    found = problems([bad, clean])
    assert len(found) == 1 and found[0].startswith("(a) 3 non-2xx responses, 3 socket errors")


def row(key: str, requests: int, p99_us: int = 40000, non2xx: int = 0) -> Row:
    text = OUTPUT.replace("requests=5000", f"requests={requests}").replace("p99_us=40000", f"p99_us={p99_us}")
    text = text.replace("non2xx=3", f"non2xx={non2xx}").replace("read=1", "read=0").replace("timeout=2", "timeout=0")
    return summarize(scenario(key), [parse(text, "url")])


def test_ratios_are_to_the_ceiling_and_medians_over_rounds():
    rounds = [OUTPUT.replace("requests=5000", f"requests={n}") for n in (1000, 3000, 2000)]
    token = summarize(scenario("a"), [parse(text, "url") for text in rounds])
    ceiling = summarize(scenario("e"), [parse(OUTPUT.replace("requests=5000", "requests=10000"), "url")])
    assert token.rps == 400.0
    assert table([token, ceiling]).splitlines()[2].endswith("0.20")


def assert_verdicts(report: str, expected: dict[str, str]) -> None:
    """Each target's line (found by a part of its label) ends with the expected figure and verdict."""
    lines = report.splitlines()
    found = {label: next(line for line in lines if label in line) for label in expected}
    assert {label: line.endswith(expected[label]) for label, line in found.items()} == dict.fromkeys(expected, True), (
        found
    )


def test_each_target_is_a_ratio_to_its_own_base_met_or_not():
    # token 3,000/s against the peer's 4,000/s: 0.75, met; introspection 3,000 against 4,000: 0.75 < 0.9.
    rows = [row("a", 15000), row("pa", 20000), row("b", 15000), row("pb", 20000), row("e", 50000)]
    rows += [row("c", 44000), row("d", 5000), row("f", 10000)]
    assert_verdicts(
        targets(rows, postgres_redis=False),
        {
            "token (a) / oidc-provider": "0.75  met (within the noise of a run)",
            "introspection (b) / oidc-provider": "0.75  NOT MET",
            "/v1/me warm (c)": "0.88  NOT MET (within the noise of a run)",
            "/v1/me cache off (d) / floor (f)": "0.50  NOT MET",
            "JWT, local (g)": "not measured: (g) did not run",
            "PostgreSQL + Redis: token": "not measured: a --postgres --redis run",
            "p99": "met (worst: (a) 40.0 ms)",
            "non-2xx": "met",
        },
    )


def test_on_postgres_and_redis_tokens_and_introspection_are_also_judged_against_hello():
    rows = [row("a", 2000), row("b", 3000), row("e", 5000, p99_us=51000, non2xx=2)]
    assert_verdicts(
        targets(rows, postgres_redis=True),
        {
            "PostgreSQL + Redis: token": "0.40  NOT MET",
            "PostgreSQL + Redis: introspection": "0.60  met",
            "token (a) / oidc-provider": "not measured: (pa) did not run",
            "p99": "NOT MET (worst: (e) 51.0 ms)",
            "non-2xx": "NOT MET (2)",
        },
    )


def test_loads_run_at_once_are_summed_with_the_worst_latency():
    first, second = parse(OUTPUT, "one"), parse(OUTPUT.replace("p99_us=40000", "p99_us=60000"), "two")
    both = combine([first, second])
    assert (both.rps, both.p99_ms, both.non2xx, both.socket_errors) == (2000.0, 60.0, 6, 6)
    assert len(both.bodies) == 2


class ScriptedLoad:
    """Requests per second by scenario, one figure per run, in the order the runs happen."""

    def __init__(self, rps: dict[str, list[int]]):
        self.rps = {key: iter(figures) for key, figures in rps.items()}

    def run(self, request, duration=None):
        key = request.url.rsplit("/", 1)[1]
        return Result(
            requests=next(self.rps[key]), duration_s=1.0, p50_ms=1, p99_ms=2, max_ms=3, non2xx=0, socket_errors=0
        )


def test_a_round_the_machine_disturbed_is_run_again_and_left_out_of_the_medians():
    scenarios = [Scenario(key, key, Request(f"http://127.0.0.1:1/{key}")) for key in "ae"]
    # The second round's ceiling ran at a third of its speed (the host took the CPU away).
    load = ScriptedLoad({"a": [2000, 2600, 2500, 2550], "e": [7000, 2100, 6800, 6900]})
    results, _ = measure(load, scenarios, rounds=3, warmup=0)
    assert [r.rps for r in results["e"]] == [7000, 6800, 6900]
    assert [r.rps for r in results["a"]] == [2000, 2500, 2550]


def test_a_machine_disturbed_throughout_still_ends_after_twice_the_rounds_and_says_so(capsys):
    scenarios = [Scenario("e", "e", Request("http://127.0.0.1:1/e"))]
    load = ScriptedLoad({"e": [7000, 2000, 7000, 2000, 2000, 2000]})
    results, _ = measure(load, scenarios, rounds=3, warmup=0)
    assert [r.rps for r in results["e"]] == [7000, 7000]
    assert "kept 2 of 3 rounds" in capsys.readouterr().out


def test_rounds_disturbed_on_different_scenarios_leave_the_one_closest_to_every_best(capsys):
    scenarios = [Scenario(key, key, Request(f"http://127.0.0.1:1/{key}")) for key in "ae"]
    # Each round is slow where the other is fast: both look disturbed to each other.
    load = ScriptedLoad({"a": [1000, 2000, 1000, 2000], "e": [7000, 3000, 7000, 3000]})
    results, _ = measure(load, scenarios, rounds=2, warmup=0)
    # Round 1 is at half of (a)'s best, round 2 under half of (e)'s: round 1 stays, and so does round 3.
    assert [r.rps for r in results["a"]] == [1000, 1000]
    assert [r.rps for r in results["e"]] == [7000, 7000]
    assert "discarded a disturbed round: (e) 3000/s against 7000/s" in capsys.readouterr().out


def test_a_round_with_errors_is_never_discarded_so_its_errors_are_reported():
    scenarios = [Scenario("e", "e", Request("http://127.0.0.1:1/e"))]

    class FailingOnce(ScriptedLoad):
        def run(self, request, duration=None):
            result = super().run(request, duration)
            result.socket_errors = 40 if result.requests == 2000 else 0
            return result

    results, _ = measure(FailingOnce({"e": [7000, 2000, 7000]}), scenarios, rounds=3, warmup=0)
    assert sum(r.socket_errors for r in results["e"]) == 40


def test_comparing_servers_keeps_every_round_a_stalling_server_ran():
    scenarios = [Scenario("e", "e", Request("http://127.0.0.1:1/e"))]
    results, _ = measure(
        ScriptedLoad({"e": [7000, 2000, 7000]}), scenarios, rounds=3, warmup=0, discard_disturbed=False
    )
    assert [r.rps for r in results["e"]] == [7000, 2000, 7000]


def test_a_caller_may_order_each_round_itself():
    scenarios = [Scenario(key, key, Request(f"http://127.0.0.1:1/{key}")) for key in "ae"]
    ran = []

    class Recording(ScriptedLoad):
        def run(self, request, duration=None):
            ran.append(request.url[-1])
            return super().run(request, duration)

    load = Recording({"a": [1000, 1000], "e": [7000, 7000]})
    measure(load, scenarios, rounds=2, warmup=0, order_of_round=lambda index: scenarios[::-1] if index else scenarios)
    assert ran == ["a", "e", "e", "a"]


def test_a_round_that_served_nothing_fails_the_run_and_its_target_line_says_so():
    idle = summarize(scenario("e"), [parse(OUTPUT.replace("requests=5000", "requests=0"), "url")])
    idle.non2xx = idle.socket_errors = 0
    assert problems([idle]) == ["(e) served no request in a round (its server took no new connection)"]
    assert "NOT MET: (e) served nothing in a round" in targets([idle, row("a", 100)], postgres_redis=False)


def test_floors_says_whether_each_floor_itself_reaches_its_target_against_hello_or_the_relay():
    rows = {r.scenario.key: r for r in (row("c", 3000), row("c0", 4000), row("g", 2000), row("g0", 4600))}
    rows |= {r.scenario.key: r for r in (row("a", 1000), row("a0", 2000), row("e", 5000))}
    rows |= {r.scenario.key: r for r in (row("d", 1000), row("d0", 1500), row("f", 2000))}
    report = against_floors(rows, postgres_redis=False)
    assert "(c) against its floor: 0.75 of its req/s" in report and "(g) against its floor: 0.43" in report
    assert "(d) against its floor: 0.67 of its req/s" in report
    assert_verdicts(
        report,
        {
            "(c) / hello (e) >= 0.90": "its floor is at 0.80 (CPU ratio 0.00), BELOW: out of reach whatever our code does",
            "(g) / hello (e) >= 0.90": "its floor is at 0.92 (CPU ratio 0.00), above: within reach (within the noise of a run)",
            "(d) / floor (f) >= 0.80": "its floor is at 0.75 (CPU ratio 0.00), BELOW: out of reach whatever our code does",
        },
    )
    assert "PostgreSQL" not in report
    assert "PostgreSQL + Redis: token (a) / hello (e) >= 0.45: its floor is at 0.40" in against_floors(rows, True)


def test_floors_sets_the_token_target_against_both_floors_of_a():
    rows = {r.scenario.key: r for r in (row("a", 1000), row("a0", 2000), row("a1", 1250), row("pa", 2500))}
    report = against_floors(rows | {"e": row("e", 5000)}, postgres_redis=False)
    assert "(a) against its floor: 0.50 of its req/s" in report
    assert "(a) against its floor with Authlib's grant: 0.80 of its req/s" in report
    target = "target token (a) / oidc-provider's (pa) >= 0.75: "
    assert target + "its floor is at 0.80 (CPU ratio 0.00), above: within reach" in report
    assert target + "its floor with Authlib's grant is at 0.50 (CPU ratio 0.00), BELOW: out of reach" in report
