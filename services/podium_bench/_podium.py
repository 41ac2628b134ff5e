"""Measuring Podium: the coordinator and no-op services as processes, runs through the
public trigger path (``podium.runs.request_run``), figures from broker append times."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from podium._priority import nice_of
from podium.pipelines import Pipeline
from podium.registry import apply_pipelines
from podium.runs import open_producer, request_run
from podium_bench._children import Children
from podium_bench._context import Context, run_ids
from podium_bench._driver import Completions, Driver
from podium_bench._figures import (
    events_between,
    paced_count,
    paced_rate,
    rate,
    scheduling_profile,
)
from podium_bench._join import (
    Append,
    Kind,
    chain_hops,
    median_sizes,
    run_latencies,
    segments,
    transitions,
)
from podium_bench._kafka import (
    Follower,
    Offsets,
    create_topics,
    end_offsets,
    partitions_of,
    read_range,
)
from podium_bench._pipelines import chain, chain_order, linear, linear_services, mapped
from podium_bench._plan import STEPS
from podium_bench._procfs import SchedSnapshot, Usage, sched_snapshot, usage
from podium_bench._records import podium_append, run_finished

SERVICES = {"noop-a": "noop_a", "noop-b": "noop_b", "noop-c": "noop_c", "sleep": "sleeper"}
"""Service name -> its object in ``podium_bench.services``."""


@dataclass
class PodiumFigures:
    runs_per_s: float = 0.0
    paced_rate_per_s: float = 0.0
    paced_late_s: float = 0.0
    paced_runs: int = 0
    segments_full_load: dict[str, list[int]] = field(default_factory=dict)
    segments_paced: dict[str, list[int]] = field(default_factory=dict)
    transitions: list[int] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)
    chain_totals: list[int] = field(default_factory=list)
    chain_hops: dict[str, list[int]] = field(default_factory=dict)
    sizes: dict[Kind, tuple[int, int]] = field(default_factory=dict)
    coordinator_cpu_s: float = 0.0
    coordinator_events: int = 0
    peak_rss_kb: int = 0
    coordinator_nice: int | None = None
    """The nice the coordinator ran at (read back: raising it may have been refused)."""
    scheduling_paced: dict[str, Any] = field(default_factory=dict)
    cpu_s_during_throughput: dict[str, float] = field(default_factory=dict)
    map: dict[str, Any] = field(default_factory=dict)
    """The map phase: one run of ``map_items`` no-op items (``_map_phase``)."""
    requested: int = 0
    succeeded: int = 0
    failed: dict[str, str] = field(default_factory=dict)


async def measure_podium(ctx: Context) -> PodiumFigures:
    """Start a Podium on fresh topics, drive it through the phases, stop it."""
    prefix, plan = ctx.names.prefix, ctx.plan
    pipelines = [linear(prefix), chain(prefix, plan.chain_steps), mapped(prefix, plan.map_parallel)]
    await create_topics(ctx.kwargs, ctx.names.podium_specs(ctx.plan.partitions, [*SERVICES]))
    await apply_pipelines(ctx.kwargs, pipelines, topic=ctx.names.topics.pipelines)
    figures = PodiumFigures()
    with Children(ctx.work / "logs", ctx.env()) as children:
        _start(ctx, children)
        completions = Completions(ctx.plan.stall_s, children.check_alive)
        events = partitions_of([ctx.names.topics.run_events], ctx.plan.partitions)
        async with (
            open_producer(ctx.kwargs) as producer,
            Follower(ctx.kwargs, events, run_finished(completions, ctx.codec)),
        ):
            send = partial(_send, producer, ctx)
            await _phases(ctx, children, completions, send, pipelines, figures)
        figures.peak_rss_kb = usage(children.processes["coordinator"].pid).peak_rss_kb
    figures.requested = completions.succeeded + len(completions.failed)
    figures.succeeded, figures.failed = completions.succeeded, completions.failed
    return figures


def _start(ctx: Context, children: Children) -> None:
    nice = ctx.plan.coordinator_nice
    env = {} if nice is None else {"PODIUM_COORDINATOR__NICE": str(nice)}
    children.start("coordinator", ["podium", "coordinator"], env)
    options = ["--concurrency", str(ctx.plan.service_concurrency), "--grace", "1"]
    options += ["--log-level", "WARNING"]
    for service, target in SERVICES.items():
        children.start(service, ["podium", "service", f"podium_bench.services:{target}", *options])


async def _send(
    producer: Any,
    ctx: Context,
    pipeline: Pipeline,
    run_id: str,
    params: dict[str, Any] | None = None,
) -> object:
    topics = ctx.names.topics
    return await request_run(producer, ctx.codec, topics, pipeline, params or {}, run_id=run_id)


async def _phases(
    ctx: Context,
    children: Children,
    completions: Completions,
    send: Any,
    pipelines: list[Pipeline],
    figures: PodiumFigures,
) -> None:
    plan, line = ctx.plan, pipelines[0]
    driver = Driver(partial(send, line), completions)
    ctx.progress(f"podium: warm-up, {plan.warmup} runs (processes starting)")
    await driver.windowed(run_ids("warmup", plan.warmup), plan.window)
    figures.coordinator_nice = nice_of(children.processes["coordinator"].pid)
    ctx.progress(f"podium: throughput, {plan.runs} runs, {plan.window} in flight")
    await _throughput(ctx, children, driver, figures)
    figures.paced_rate_per_s = paced_rate(figures.runs_per_s, plan.load, plan.paced_rate)
    figures.paced_runs = paced_count(plan.paced_runs, figures.paced_rate_per_s, plan.paced_max_s)
    ctx.progress(f"podium: latency, {figures.paced_runs} runs at {figures.paced_rate_per_s:.0f}/s")
    await _latency(ctx, children, driver, figures)
    ctx.progress(f"podium: {plan.chain_runs} x {plan.chain_steps}-step chain")
    await _chain(ctx, Driver(partial(send, pipelines[1]), completions), figures)
    ctx.progress(f"podium: map of {plan.map_items} items, {plan.map_parallel} in flight")
    params = {"items": list(range(plan.map_items))}
    mapping = Driver(partial(send, pipelines[2], params=params), completions)
    await _map_phase(ctx, children, mapping, figures)


def _scheduling(children: Children) -> SchedSnapshot | None:
    """Each process's scheduling times (the driver is this one) and the machine's CPU
    ticks; None where the kernel keeps no schedstats."""
    pids = {name: process.pid for name, process in children.processes.items()}
    try:
        return sched_snapshot({**pids, "driver": os.getpid()})
    except OSError:
        return None


def _usages(children: Children) -> dict[str, Usage]:
    return {name: usage(process.pid) for name, process in children.processes.items()}


async def _throughput(
    ctx: Context, children: Children, driver: Driver, figures: PodiumFigures
) -> None:
    """Runs per second at full load, and the coordinator's CPU over the events it consumed
    (run requests, step results, timers: the appends to its input topics meanwhile)."""
    t = ctx.names.topics
    inputs = partitions_of([t.runs, t.step_results, t.timers], ctx.plan.partitions)
    offsets, since = await end_offsets(ctx.kwargs, inputs), await _snapshot(ctx)
    before, own = _usages(children), time.process_time()
    seconds = await driver.windowed(run_ids("run", ctx.plan.runs), ctx.plan.window)
    after, own = _usages(children), time.process_time() - own
    figures.coordinator_events = events_between(offsets, await end_offsets(ctx.kwargs, inputs))
    figures.segments_full_load = segments(await _appends(ctx, since), STEPS)
    figures.runs_per_s = rate(ctx.plan.runs, seconds)
    spent = {name: round(after[name].cpu_s - before[name].cpu_s, 2) for name in after}
    figures.coordinator_cpu_s = spent["coordinator"]
    figures.cpu_s_during_throughput = {**spent, "driver": round(own, 2), "wall": round(seconds, 2)}


def _recorded(ctx: Context) -> tuple[list[str], dict[str, Kind]]:
    """The topics the latency phases read back, and what their records stand for."""
    t = ctx.names.topics
    kinds = {t.runs: Kind.RUN_REQUESTED, t.step_results: Kind.STEP_COMPLETED}
    kinds |= {ctx.names.step(s): Kind.STEP_REQUESTED for s in linear_services()}
    kinds |= {ctx.names.step("sleep"): Kind.STEP_REQUESTED, t.run_events: Kind.RUN_SUCCEEDED}
    return list(kinds), kinds


async def _appends(ctx: Context, since: Offsets) -> list[Append]:
    topics, kinds = _recorded(ctx)
    until = await end_offsets(ctx.kwargs, partitions_of(topics, ctx.plan.partitions))
    records = await read_range(ctx.kwargs, since, until)
    found = (podium_append(record, ctx.codec, kinds) for record in records)
    return [append for append in found if append is not None]


async def _snapshot(ctx: Context) -> Offsets:
    topics, _ = _recorded(ctx)
    return await end_offsets(ctx.kwargs, partitions_of(topics, ctx.plan.partitions))


async def _latency(
    ctx: Context, children: Children, driver: Driver, figures: PodiumFigures
) -> None:
    since = await _snapshot(ctx)
    ids = run_ids("paced", figures.paced_runs)
    before, started = _scheduling(children), time.monotonic()
    figures.paced_late_s = await driver.paced(ids, figures.paced_rate_per_s)
    after, seconds = _scheduling(children), time.monotonic() - started
    if before is not None and after is not None:
        figures.scheduling_paced = scheduling_profile(before, after, seconds)
    appends = await _appends(ctx, since)
    figures.segments_paced = segments(appends, STEPS)
    figures.transitions = transitions(appends, STEPS)
    figures.latencies = run_latencies(appends)
    figures.sizes = median_sizes(appends)


async def _chain(ctx: Context, driver: Driver, figures: PodiumFigures) -> None:
    """One chain run at a time: total time from its request to its success."""
    since = await _snapshot(ctx)
    for run_id in run_ids("chain", ctx.plan.chain_runs):
        await driver.windowed([run_id], 1)
    appends = await _appends(ctx, since)
    figures.chain_totals = run_latencies(appends)
    figures.chain_hops = chain_hops(appends, chain_order(ctx.plan.chain_steps))


async def _map_phase(
    ctx: Context, children: Children, driver: Driver, figures: PodiumFigures
) -> None:
    """One run of a map step over ``map_items`` no-op items: its time, the coordinator's CPU
    per item and its peak RSS (VmHWM: the whole process's peak, so also before and after)."""
    coordinator = children.processes["coordinator"].pid
    stall_s = driver.completions.stall_s
    driver.completions.stall_s = max(stall_s, ctx.plan.map_items / 20)  # one long run
    before = usage(coordinator)
    try:
        seconds = await driver.windowed(run_ids("map", 1), 1)
    finally:
        driver.completions.stall_s = stall_s
    after = usage(coordinator)
    items = ctx.plan.map_items
    cpu_s = after.cpu_s - before.cpu_s
    figures.map = {
        "items": items,
        "max_parallel": ctx.plan.map_parallel,
        "seconds": round(seconds, 2),
        "items_per_s": round(rate(items, seconds), 1),
        "coordinator_cpu_s": round(cpu_s, 2),
        "coordinator_cpu_us_per_item": round(cpu_s / items * 1e6, 1) if items else 0.0,
        "coordinator_peak_rss_mb_before": round(before.peak_rss_kb / 1024, 1),
        "coordinator_peak_rss_mb_after": round(after.peak_rss_kb / 1024, 1),
    }
