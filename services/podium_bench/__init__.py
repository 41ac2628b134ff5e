"""``podium bench``: Podium's throughput and latency measured against the Kafka floor.

    report = asyncio.run(run_bench(settings, Plan.full(), repeat=3, progress=print))
    print(render(report))

One run creates fresh topics (broker timestamps: ``LogAppendTime``), starts the
coordinator and no-op step services as processes, triggers 3-step runs through
``podium.runs.request_run`` (a window in flight for throughput, then paced at 70%
of it for latency), runs a sequential chain of sleeping steps, then relays the
same hops and message sizes through bare aiokafka processes (the floor). Pure
parts: ``_stats``, ``_join``, ``_figures``, ``_report``, ``_table``, ``_plan``.

A top-level package beside ``podium`` (shipped in the same wheel, no extra
dependencies) so the product's import graph never holds it: only ``podium bench``
imports it, when it runs. It uses Podium's public names, save ``podium._priority``
(pinned in ``tests/unit/test_import_graph.py``).
"""

from podium_bench._children import ChildExited, Children
from podium_bench._driver import BenchStalled, Completions, Driver
from podium_bench._figures import (
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
from podium_bench._join import (
    Append,
    Kind,
    first_appends,
    floor_hops,
    floor_stage,
    gaps,
    median_sizes,
    run_latencies,
    segments,
    transitions,
)
from podium_bench._names import Names, child_env
from podium_bench._plan import DEFAULT_COORDINATOR_NICE, STEPS, Plan
from podium_bench._procfs import (
    CpuTicks,
    Sched,
    SchedSnapshot,
    Usage,
    cpu_ticks,
    machine_ticks,
    parse_cpu_line,
    parse_schedstat,
    peak_rss_kb,
    sched,
    sched_snapshot,
    usage,
)
from podium_bench._report import (
    METRICS,
    Measured,
    Report,
    combine,
    median_of,
    ratios,
    report,
    targets,
)
from podium_bench._run import BenchFailed, measured, run_bench, run_once
from podium_bench._stats import Percentiles, median, percentile, summarize
from podium_bench._table import render

__all__ = [
    "DEFAULT_COORDINATOR_NICE",
    "METRICS",
    "STEPS",
    "Append",
    "BenchFailed",
    "BenchStalled",
    "ChildExited",
    "Children",
    "Completions",
    "CpuTicks",
    "Driver",
    "Kind",
    "Measured",
    "Names",
    "Percentiles",
    "Plan",
    "Report",
    "Sched",
    "SchedSnapshot",
    "Usage",
    "chain_figures",
    "child_env",
    "combine",
    "cpu_ticks",
    "cpu_us_per_event",
    "events_between",
    "first_appends",
    "floor_hops",
    "floor_stage",
    "gaps",
    "machine_ticks",
    "measured",
    "median",
    "median_of",
    "median_sizes",
    "overhead_ms_per_step",
    "paced_count",
    "paced_rate",
    "parse_cpu_line",
    "parse_schedstat",
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
    "sched",
    "sched_snapshot",
    "schedule",
    "scheduling_profile",
    "segments",
    "summarize",
    "targets",
    "transitions",
    "usage",
]
