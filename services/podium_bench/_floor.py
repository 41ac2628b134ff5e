"""Measuring the Kafka floor: the same hops, message sizes and process layout as a
3-step run, relayed by bare aiokafka processes with no orchestration."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from podium._priority import nice_of
from podium.runs import open_producer
from podium_bench._children import Children
from podium_bench._context import Context, run_ids
from podium_bench._driver import Completions, Driver
from podium_bench._figures import events_between, paced_count, rate
from podium_bench._join import Kind, floor_hops, floor_stage, run_latencies, transitions
from podium_bench._kafka import Follower, create_topics, end_offsets, partitions_of, read_range
from podium_bench._plan import STEPS
from podium_bench._procfs import usage
from podium_bench._records import floor_append, floor_chain_append, hop_arrived
from podium_bench._relay import hop

Sizes = dict[Kind, tuple[int, int]]
DEFAULT_SIZE = (256, 128)
"""Only used for a kind the Podium phase did not see (it always sees all)."""


@dataclass
class FloorFigures:
    runs_per_s: float = 0.0
    transitions: list[int] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)
    relay_nice: int | None = None
    """The nice the relay for the coordinator's hops ran at (read back)."""
    relay_cpu_s: float = 0.0
    """CPU time of the relay for the coordinator's hops over the throughput phase."""
    relay_events: int = 0
    """Records that relay consumed meanwhile (the appends to its source topics)."""
    chain_totals: list[int] = field(default_factory=list)
    """The floor chain's runs, request to done (ms): the chain's steps as bare hops."""


def _topics(ctx: Context) -> list[str]:
    return [ctx.names.floor(index) for index in range(2 * len(STEPS) + 2)]


async def create_floor_topics(ctx: Context) -> None:
    """Created with Podium's, long before use: a just-created partition can still answer
    "not leader" for a moment after the cluster names its leader."""
    await create_topics(ctx.kwargs, ctx.names.floor_specs(len(_topics(ctx)), ctx.plan.partitions))


def _relay_sources(ctx: Context) -> list[str]:
    """The topics the relay standing for the coordinator consumes."""
    coordinator, _ = floor_hops(STEPS)
    return [ctx.names.floor(source) for source, _ in coordinator]


def _hop_args(ctx: Context, pairs: list[tuple[int, int]], sizes: Sizes) -> list[str]:
    args: list[str] = []
    for source, target in pairs:
        value, headers = sizes.get(floor_stage(target, STEPS)[0], DEFAULT_SIZE)
        names = [ctx.names.floor(source), ctx.names.floor(target)]
        args += ["--hop", *names, str(value), str(headers)]
    return args


def _chain_args(ctx: Context, sizes: Sizes) -> tuple[list[str], list[str]]:
    """The chain's ``--loop`` (the coordinator's relay) and ``--sleep-hop`` (the sleeping
    service's relay), with the sizes of Podium's step requests and results."""
    chain, plan = ctx.names.floor_chain, ctx.plan
    request = sizes.get(Kind.STEP_REQUESTED, DEFAULT_SIZE)
    result = sizes.get(Kind.STEP_COMPLETED, DEFAULT_SIZE)
    looped = [chain("start"), chain("results"), chain("requests"), chain("done")]
    looped += [str(plan.chain_steps), *map(str, request)]
    sleeping = [chain("requests"), chain("results"), str(plan.chain_sleep_ms), *map(str, result)]
    return ["--loop", *looped], ["--sleep-hop", *sleeping]


def _start(ctx: Context, children: Children, sizes: Sizes) -> None:
    """One relay process for the coordinator's hops, one per service's hop; for the chain,
    one for the coordinator's side and one for the sleeping service (own processes, so
    the other hops' relays consume exactly what they did before the chain was added)."""
    coordinator, services = floor_hops(STEPS)
    relay, prefix = ["podium_bench._relay", "--group"], ctx.names.prefix
    nice = ctx.plan.coordinator_nice  # the same priority as the coordinator it stands for
    own = [] if nice is None else ["--nice", str(nice)]
    hops = _hop_args(ctx, coordinator, sizes)
    children.start("floor-coordinator", [*relay, f"{prefix}-floor-coordinator", *own, *hops])
    for step, pair in zip(STEPS, services, strict=True):
        group = f"{prefix}-floor-{step}"
        children.start(f"floor-{step}", [*relay, group, *_hop_args(ctx, [pair], sizes)])
    looped, sleeping = _chain_args(ctx, sizes)
    children.start("floor-chain", [*relay, f"{prefix}-floor-chain", *own, *looped])
    children.start("floor-sleep", [*relay, f"{prefix}-floor-sleep", *sleeping])


async def measure_floor(ctx: Context, sizes: Sizes, paced_rate: float) -> FloorFigures:
    """Throughput at full load, then latency at ``paced_rate`` (Podium's paced rate: the
    same offered load, so the latencies compare)."""
    topics, count = _topics(ctx), ctx.plan.partitions
    first = hop(topics[0], topics[0], *sizes.get(Kind.RUN_REQUESTED, DEFAULT_SIZE))
    figures = FloorFigures()
    with Children(ctx.work / "logs", ctx.env()) as children:
        _start(ctx, children, sizes)
        completions = Completions(ctx.plan.stall_s, children.check_alive)
        last = partitions_of(topics[-1:], count)
        async with (
            open_producer(ctx.kwargs) as producer,
            Follower(ctx.kwargs, last, hop_arrived(completions)),
        ):

            async def send(run_id: str, topic: str = topics[0]) -> Any:
                value, headers = first.value, first.headers
                return await producer.send_and_wait(
                    topic, value, key=run_id.encode(), headers=headers
                )

            relay = children.processes["floor-coordinator"].pid
            await _phases(ctx, Driver(send, completions), paced_rate, figures, relay)
            figures.relay_nice = nice_of(relay)
            chain_done = partitions_of([ctx.names.floor_chain("done")], count)
            async with Follower(ctx.kwargs, chain_done, hop_arrived(completions)):
                start = ctx.names.floor_chain("start")
                await _chain(ctx, Driver(partial(send, topic=start), completions), figures)
    return figures


async def _phases(
    ctx: Context, driver: Driver, paced_rate: float, figures: FloorFigures, relay: int
) -> None:
    plan = ctx.plan
    ctx.progress(f"floor: warm-up {plan.warmup}, throughput {plan.runs} runs")
    await driver.windowed(run_ids("floor-warmup", plan.warmup), plan.window)
    await _throughput(ctx, driver, figures, relay)
    count = paced_count(plan.paced_runs, paced_rate, plan.paced_max_s)
    ctx.progress(f"floor: latency, {count} runs at {paced_rate:.0f}/s")
    partitions = partitions_of(_topics(ctx), plan.partitions)
    since = await end_offsets(ctx.kwargs, partitions)
    await driver.paced(run_ids("floor-paced", count), paced_rate)
    records = await read_range(ctx.kwargs, since, await end_offsets(ctx.kwargs, partitions))
    appends = [floor_append(record, _topics(ctx), STEPS) for record in records]
    figures.transitions = transitions(appends, STEPS)
    figures.latencies = run_latencies(appends)


async def _chain(ctx: Context, driver: Driver, figures: FloorFigures) -> None:
    """One chain run at a time, as Podium's: the time from its start to its done append."""
    roles = [ctx.names.floor_chain(role) for role in ("start", "done")]
    ctx.progress(f"floor: {ctx.plan.chain_runs} x {ctx.plan.chain_steps}-step chain")
    partitions = partitions_of(roles, ctx.plan.partitions)
    since = await end_offsets(ctx.kwargs, partitions)
    for run_id in run_ids("floor-chain", ctx.plan.chain_runs):
        await driver.windowed([run_id], 1)
    records = await read_range(ctx.kwargs, since, await end_offsets(ctx.kwargs, partitions))
    figures.chain_totals = run_latencies([floor_chain_append(r, roles[0]) for r in records])


async def _throughput(ctx: Context, driver: Driver, figures: FloorFigures, relay: int) -> None:
    """Runs per second at full load, and the CPU the relay standing for the coordinator
    spent per record it consumed (measured as Podium's coordinator is: the same baseline
    in the same run, as the issue's bare consume -> produce relay)."""
    sources = partitions_of(_relay_sources(ctx), ctx.plan.partitions)
    offsets, cpu_s = await end_offsets(ctx.kwargs, sources), usage(relay).cpu_s
    seconds = await driver.windowed(run_ids("floor-run", ctx.plan.runs), ctx.plan.window)
    figures.relay_cpu_s = usage(relay).cpu_s - cpu_s
    figures.relay_events = events_between(offsets, await end_offsets(ctx.kwargs, sources))
    figures.runs_per_s = rate(ctx.plan.runs, seconds)
