"""A pipeline's recent stats, against a plain recount."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import RunStatus
from podium.runs import RunView
from podium.runs._stats import percentile, recent_stats

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ENDS = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPENSATED)


def finished(status: RunStatus, millis: int) -> RunView:
    end = T0 + timedelta(milliseconds=millis)
    return RunView("r", "p", 1, status, created_at=T0, updated_at=end, finished_at=end)


runs = st.lists(st.builds(finished, st.sampled_from(ENDS), st.integers(0, 10**7)), max_size=120)


@given(runs)
def test_counts_and_rate_match_a_recount(views: list[RunView]) -> None:
    stats = recent_stats(views)
    ok = sum(v.status is RunStatus.SUCCEEDED for v in views)
    bad = sum(v.status in (RunStatus.FAILED, RunStatus.COMPENSATED) for v in views)
    assert (stats.runs, stats.succeeded, stats.failed) == (len(views), ok, bad)
    assert stats.success_rate == (None if ok + bad == 0 else round(ok / (ok + bad), 4))


@given(runs)
def test_duration_percentiles_are_durations_of_the_runs_in_order(views: list[RunView]) -> None:
    stats = recent_stats(views)
    durations = [round(((v.finished_at or T0) - T0).total_seconds(), 3) for v in views]
    if not views:
        assert stats.duration_p50_s is None and stats.duration_p95_s is None
        return
    assert stats.duration_p50_s in durations and stats.duration_p95_s in durations
    assert min(durations) <= stats.duration_p50_s <= stats.duration_p95_s <= max(durations)


@given(st.lists(st.floats(0, 1e6), min_size=1), st.integers(1, 100))
def test_nearest_rank_leaves_at_least_pct_of_values_at_or_below(
    values: list[float], pct: int
) -> None:
    ordered = sorted(values)
    found = percentile(ordered, pct)
    assert found is not None
    assert sum(v <= found for v in ordered) >= pct / 100 * len(ordered)
    assert sum(v < found for v in ordered) < pct / 100 * len(ordered)


def test_the_median_of_an_odd_count_is_the_middle_and_json_names_every_figure() -> None:
    views = [finished(RunStatus.SUCCEEDED, ms) for ms in (3000, 1000, 2000)]
    views.append(finished(RunStatus.CANCELLED, 500))
    body = recent_stats(views).as_json()
    assert body["duration_p50_s"] == statistics.median_low([0.5, 1.0, 2.0, 3.0])
    assert body == body | {"runs": 4, "succeeded": 3, "failed": 0, "success_rate": 1.0}
    assert set(body) == {"runs", "succeeded", "failed", "success_rate"} | {
        "duration_p50_s",
        "duration_p95_s",
    }
