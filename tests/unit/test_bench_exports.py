"""Pins podium_bench's public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium_bench


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium_bench.__all__) == sorted(
        [
            "Append",
            "DEFAULT_COORDINATOR_NICE",
            "BenchFailed",
            "BenchStalled",
            "ChildExited",
            "Children",
            "Completions",
            "CpuTicks",
            "Driver",
            "Kind",
            "METRICS",
            "Measured",
            "Names",
            "Percentiles",
            "Plan",
            "Report",
            "STEPS",
            "Sched",
            "SchedSnapshot",
            "Usage",
            "chain_figures",
            "child_env",
            "combine",
            "cpu_ticks",
            "machine_ticks",
            "parse_cpu_line",
            "parse_schedstat",
            "sched",
            "sched_snapshot",
            "scheduling_profile",
            "cpu_us_per_event",
            "events_between",
            "first_appends",
            "floor_hops",
            "floor_stage",
            "gaps",
            "measured",
            "median",
            "median_of",
            "median_sizes",
            "overhead_ms_per_step",
            "paced_count",
            "paced_rate",
            "peak_rss_kb",
            "percentile",
            "rate",
            "ratio",
            "ratios",
            "render",
            "report",
            "run_bench",
            "run_latencies",
            "run_once",
            "schedule",
            "segments",
            "summarize",
            "targets",
            "transitions",
            "usage",
        ]
    )
    for name in podium_bench.__all__:
        assert getattr(podium_bench, name) is not None
