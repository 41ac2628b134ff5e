"""The benchmark's arithmetic: pacing, rates, chain overhead, CPU per event."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium_bench import (
    CpuTicks,
    Sched,
    SchedSnapshot,
    chain_figures,
    cpu_us_per_event,
    events_between,
    overhead_ms_per_step,
    paced_count,
    paced_rate,
    rate,
    ratio,
    schedule,
    scheduling_profile,
)


@given(st.integers(min_value=1, max_value=2000), st.floats(min_value=0.5, max_value=5000))
def test_a_schedule_is_evenly_spaced_at_the_rate(count: int, per_second: float) -> None:
    offsets = schedule(count, per_second)
    assert len(offsets) == count and offsets[0] == 0
    steps = [b - a for a, b in pairwise(offsets)]
    assert all(step == pytest.approx(1 / per_second) for step in steps)


def test_a_schedule_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        schedule(3, 0)


def test_the_latency_phase_runs_at_seventy_percent_of_the_maximum() -> None:
    assert paced_rate(400, 0.7) == pytest.approx(280)
    assert paced_rate(400, 0.7, fixed=42.0) == 42.0  # --paced-rate: the same load every time
    with pytest.raises(ValueError):
        paced_rate(400, 1.5)


def test_paced_count_is_capped_by_time_but_keeps_enough_samples() -> None:
    assert paced_count(1500, rate=300, max_seconds=20) == 1500
    assert paced_count(1500, rate=30, max_seconds=20) == 600
    assert paced_count(1500, rate=1, max_seconds=20) == 50
    assert paced_count(30, rate=1, max_seconds=20) == 30


def test_forty_steps_of_ten_ms_in_600_ms_is_five_ms_of_overhead_each() -> None:
    assert overhead_ms_per_step(600, 40, 10) == pytest.approx(5)
    assert chain_figures([700, 600, 650], 40, 10) == {
        "total_ms": 650,
        "overhead_ms_per_step": pytest.approx(6.25),
    }
    with pytest.raises(ValueError):
        overhead_ms_per_step(10, 0, 10)


@given(st.floats(min_value=0, max_value=1e5), st.integers(1, 100), st.floats(0, 100))
def test_overhead_times_steps_plus_sleep_is_the_total(
    total: float, steps: int, sleep: float
) -> None:
    assert overhead_ms_per_step(total, steps, sleep) * steps + steps * sleep == pytest.approx(total)


def test_cpu_per_event_and_rates() -> None:
    assert cpu_us_per_event(2.0, 10_000) == pytest.approx(200)
    assert rate(3000, 10) == 300
    with pytest.raises(ValueError):
        cpu_us_per_event(1.0, 0)
    with pytest.raises(ValueError):
        rate(10, 0)


def test_events_between_sums_every_partition() -> None:
    assert events_between({"p0": 5, "p1": 10}, {"p0": 7, "p1": 20, "p2": 3}) == 2 + 10 + 3


def test_ratio_without_a_floor_is_none() -> None:
    assert ratio(50, 100) == 0.5
    assert ratio(50, 0) is None


def test_the_scheduling_profile_is_cores_used_and_waited_for_per_process() -> None:
    before = {"coordinator": Sched(1_000_000_000, 0), "noop-a": Sched(0, 0), "gone": Sched(0, 0)}
    after = {"coordinator": Sched(2_000_000_000, 1_000_000_000), "noop-a": Sched(500_000_000, 0)}
    start, end = CpuTicks(busy=100, total=1000), CpuTicks(busy=460, total=1400)
    profile = scheduling_profile(
        SchedSnapshot(before, start), SchedSnapshot(after, end), seconds=2.0
    )
    assert profile["processes"] == {
        "coordinator": {"on_cpu_cores": 0.5, "waiting_cores": 0.5},
        "noop-a": {"on_cpu_cores": 0.25, "waiting_cores": 0.0},
    }
    assert profile["machine_busy_pct"] == 90.0
    idle = scheduling_profile(SchedSnapshot({}, start), SchedSnapshot({}, start), seconds=1.0)
    assert idle["machine_busy_pct"] is None
