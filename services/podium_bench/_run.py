"""One whole benchmark run (Podium, then the floor, on fresh topics), and ``--repeat``."""

from __future__ import annotations

import shutil

from podium.errors import PodiumError
from podium.settings import PodiumSettings
from podium_bench._context import Context, Progress
from podium_bench._figures import chain_figures, cpu_us_per_event
from podium_bench._floor import FloorFigures, create_floor_topics, measure_floor
from podium_bench._handler import handler_cpu_us_per_event
from podium_bench._kafka import delete_topics, topic_count
from podium_bench._machine import bench_settings, machine
from podium_bench._plan import Plan
from podium_bench._podium import PodiumFigures, measure_podium
from podium_bench._report import Measured, Report, combine, report
from podium_bench._stats import summarize


class BenchFailed(PodiumError):
    """The benchmark could not measure something (the message says what)."""


CROWDED_TOPICS = 1000
"""More topics than this on the cluster: the broker does measurably more work per
request (3,058 left over by test runs more than doubled the p99 transition latency we
measured on our development broker), so the figures will not compare with a clean one's."""


def crowded_warning(topics: int) -> str | None:
    """What to tell the user before measuring on a crowded cluster (pure)."""
    if topics <= CROWDED_TOPICS:
        return None
    return (
        f"note: the cluster holds {topics} topics; a broker with thousands of others "
        "measures slower, so these figures will not compare with a clean broker's"
    )


def measured(
    plan: Plan,
    podium: PodiumFigures,
    floor: FloorFigures,
    prefix: str = "",
    handler_us: float = 0.0,
) -> Measured:
    """Figures from both phases' samples; BenchFailed when a phase has no samples."""
    try:
        chain = chain_figures(podium.chain_totals, plan.chain_steps, plan.chain_sleep_ms)
        floor_chain = chain_figures(floor.chain_totals, plan.chain_steps, plan.chain_sleep_ms)
        return Measured(
            runs_per_s=podium.runs_per_s,
            paced_rate_per_s=podium.paced_rate_per_s,
            transition=summarize(podium.transitions),
            run_latency=summarize(podium.latencies),
            chain_total_ms=chain["total_ms"],
            chain_overhead_ms_per_step=chain["overhead_ms_per_step"],
            floor_chain_overhead_ms_per_step=floor_chain["overhead_ms_per_step"],
            floor_runs_per_s=floor.runs_per_s,
            floor_transition=summarize(floor.transitions),
            floor_run_latency=summarize(floor.latencies),
            coordinator_cpu_us_per_event=cpu_us_per_event(
                podium.coordinator_cpu_s, podium.coordinator_events
            ),
            floor_cpu_us_per_event=cpu_us_per_event(floor.relay_cpu_s, floor.relay_events),
            handler_cpu_us_per_event=handler_us,
            coordinator_peak_rss_kb=podium.peak_rss_kb,
            requested=podium.requested,
            succeeded=podium.succeeded,
            map=podium.map,
            detail=_detail(prefix, podium, floor),
        )
    except ValueError as exc:
        raise BenchFailed(f"nothing to report: {exc}") from exc


def _detail(prefix: str, podium: PodiumFigures, floor: FloorFigures) -> dict[str, object]:
    return {
        "topics_prefix": prefix,
        "transition_samples": len(podium.transitions),
        "coordinator_events": podium.coordinator_events,
        "cpu_s_during_throughput": podium.cpu_s_during_throughput,
        "paced_runs": podium.paced_runs,
        "paced_late_ms": round(podium.paced_late_s * 1000, 1),
        "scheduling_paced": podium.scheduling_paced,
        "coordinator_nice": {"podium": podium.coordinator_nice, "floor": floor.relay_nice},
        "segments_ms_full_load": _segments(podium.segments_full_load),
        "segments_ms_paced": _segments(podium.segments_paced),
        "chain_totals_ms": podium.chain_totals,
        "floor_chain_totals_ms": floor.chain_totals,
        "chain_hops_ms": _segments(podium.chain_hops),
        "message_bytes": {str(k): list(v) for k, v in podium.sizes.items()},
        "failed_runs": dict(list(podium.failed.items())[:20]),
    }


def _segments(found: dict[str, list[int]]) -> dict[str, dict[str, float]]:
    """p50/p99 of each segment of a run (where the time goes)."""
    return {name: _p50_p99(values) for name, values in found.items() if values}


def _p50_p99(values: list[int]) -> dict[str, float]:
    summary = summarize(values)
    return {"p50": summary.p50, "p99": summary.p99}


async def run_once(settings: PodiumSettings, plan: Plan, progress: Progress) -> Report:
    """Measure Podium, then the floor; the topics go away after, the logs on success."""
    ctx = Context(settings, plan, progress)
    progress(f"run {ctx.names.prefix}: logs in {ctx.work / 'logs'}")
    topics = await topic_count(ctx.kwargs)
    warning = crowded_warning(topics)
    if warning:
        progress(warning)
    handler_us = handler_cpu_us_per_event()  # before any child process starts
    try:
        await create_floor_topics(ctx)
        podium = await measure_podium(ctx)
        floor = await measure_floor(ctx, podium.sizes, podium.paced_rate_per_s)
    finally:
        await _clean_up(ctx)
    figures = measured(plan, podium, floor, ctx.names.prefix, handler_us)
    measured_on = {**machine(settings), "cluster_topics_at_start": topics}
    result = report(figures, measured_on, bench_settings(plan, settings))
    if result["outcomes"]["all_succeeded"]:
        shutil.rmtree(ctx.work, ignore_errors=True)
    return result


async def _clean_up(ctx: Context) -> None:
    """Delete the run's topics; a failure here is reported, never hides the result."""
    try:
        await delete_topics(ctx.kwargs, ctx.names.prefix)
    except Exception as exc:  # the cluster may be why the run failed: say so, go on
        ctx.progress(f"could not delete topics {ctx.names.prefix}*: {exc}")


async def run_bench(
    settings: PodiumSettings, plan: Plan, repeat: int, progress: Progress
) -> Report:
    """``repeat`` whole runs; the report holds their medians and each under ``repeats``."""
    reports = []
    for index in range(repeat):
        progress(f"--- benchmark run {index + 1} of {repeat} ({plan.mode})")
        reports.append(await run_once(settings, plan, progress))
    return combine(reports)
