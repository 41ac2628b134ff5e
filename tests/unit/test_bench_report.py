"""The benchmark's JSON: the issue's keys, medians over repeats, ratios, targets, table."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium_bench import Measured, Percentiles, combine, median_of, render, report, summarize

KEYS = {
    "runs_per_s",
    "transition_ms",
    "run_latency_ms",
    "chain40_overhead_ms_per_step",
    "floor_runs_per_s",
    "floor_transition_ms",
    "coordinator_cpu_us_per_event",
    "coordinator_peak_rss_mb",
    "machine",
    "settings",
}


def measured(runs_per_s: float = 320.0, p50: float = 4, cpu: float = 150.0) -> Measured:
    return Measured(
        runs_per_s=runs_per_s,
        paced_rate_per_s=runs_per_s * 0.7,
        transition=Percentiles(p50, 9, 20, 40, 100),
        run_latency=summarize([20, 25, 30, 90]),
        chain_total_ms=580.0,
        chain_overhead_ms_per_step=4.5,
        floor_chain_overhead_ms_per_step=1.5,
        floor_runs_per_s=1600.0,
        floor_transition=Percentiles(1, 2, 2, 5, 100),
        floor_run_latency=summarize([8, 9, 12]),
        coordinator_cpu_us_per_event=cpu,
        floor_cpu_us_per_event=30.0,
        handler_cpu_us_per_event=90.0,
        coordinator_peak_rss_kb=80 * 1024,
        requested=10,
        succeeded=10,
    )


def make(**kwargs: Any) -> dict[str, Any]:
    return report(measured(**kwargs), {"cores": 2}, {"partitions": 6, "load": 0.7})


def test_the_report_has_the_issue_keys_and_is_json() -> None:
    found = make()
    assert set(found) >= KEYS
    assert set(found["transition_ms"]) == {"p50", "p95", "p99", "max"}
    assert found["coordinator_peak_rss_mb"] == 80.0
    assert json.loads(json.dumps(found)) == found


def test_ratios_are_podium_over_the_floor() -> None:
    ratios = make()["ratios"]
    assert ratios["runs_per_s"] == 0.2
    assert ratios["transition_p50"] == 4.0 and ratios["transition_p99"] == 10.0
    assert ratios["cpu_per_event"] == 5.0 and ratios["chain40_overhead"] == 3.0


def test_targets_say_which_are_met() -> None:
    targets = make(runs_per_s=250, p50=4, cpu=690)["targets"]
    assert targets["runs_per_s"] == {"target": ">= 300", "value": 250, "met": False}
    assert targets["transition_p50_ms"]["met"] and targets["transition_p99_ms"]["met"]
    assert not targets["coordinator_cpu_us_per_event"]["met"]
    assert targets["chain40_overhead_ms_per_step"]["met"]


def test_a_repeat_reports_medians_and_keeps_each_run() -> None:
    runs = [make(runs_per_s=r, p50=p) for r, p in [(300, 3), (100, 9), (200, 5)]]
    combined = combine(runs)
    assert combined["runs_per_s"] == 200 and combined["transition_ms"]["p50"] == 5
    assert combined["repeats"] == runs
    assert combined["outcomes"] == {"requested": 30, "succeeded": 30, "all_succeeded": True}
    assert combined["ratios"]["runs_per_s"] == 0.125


def test_a_failed_run_shows_in_the_outcomes() -> None:
    failed = report(
        Measured(**{**measured().__dict__, "succeeded": 9}), {"cores": 2}, {"partitions": 6}
    )
    assert failed["outcomes"]["all_succeeded"] is False
    assert combine([make(), failed])["outcomes"]["all_succeeded"] is False


number = st.floats(0, 1e6)


@given(st.lists(st.fixed_dictionaries({"a": number, "b": number}), min_size=1, max_size=9))
def test_median_of_dicts_is_key_by_key(shaped: list[dict[str, float]]) -> None:
    found = median_of(shaped)
    assert set(found) == set(shaped[0])
    for key in found:
        column = sorted(v[key] for v in shaped)
        assert column[0] - 0.01 <= found[key] <= column[-1] + 0.01


def test_the_table_shows_podium_the_floor_and_the_targets() -> None:
    text = render(combine([make(runs_per_s=250)]))
    assert "3-step runs/s" in text and "250" in text and "1,600" in text
    assert ">= 300 NOT met" in text and "runs: 10 requested, 10 succeeded" in text
    cpu_row = next(line for line in text.splitlines() if line.startswith("coordinator CPU"))
    assert cpu_row.split()[3:6] == ["150", "30", "5"], cpu_row
    chain_row = next(line for line in text.splitlines() if line.startswith("chain overhead"))
    assert chain_row.split()[3:6] == ["4.5", "1.5", "3"], chain_row
    handler_row = next(line for line in text.splitlines() if "handler alone" in line)
    assert handler_row.split()[4] == "90", handler_row


def _ran_at(asked: int | None, podium: int | None, floor: int | None) -> str:
    run = report(measured(), {"cores": 2}, {"coordinator_nice": asked})
    run["detail"] = {"coordinator_nice": {"podium": podium, "floor": floor}}
    return render(combine([run]))


def test_the_table_says_at_what_priority_the_coordinator_really_ran() -> None:
    assert "coordinator and floor relay at nice -10" in _ran_at(-10, -10, -10)
    refused = _ran_at(-10, 0, 0)
    assert "nice -10 asked for" in refused and "ran at 0" in refused
    assert "CAP_SYS_NICE" in refused
    assert "the nice it was started with" in _ran_at(None, 0, 0)
