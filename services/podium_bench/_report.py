"""The benchmark's result: the JSON shape, medians over repeats, ratios, targets, the table.

Pure. The top-level keys are fixed by the benchmark issue so results compare
across versions: ``runs_per_s``, ``transition_ms`` / ``run_latency_ms``
(``p50``, ``p95``, ``p99``, ``max``), ``chain40_overhead_ms_per_step``,
``floor_runs_per_s``, ``floor_transition_ms``, ``coordinator_cpu_us_per_event``,
``coordinator_peak_rss_mb``, ``machine`` and ``settings``. The rest is added
beside them (the floor relay's CPU per event and chain overhead, the handler's CPU per
event without Kafka, ratios to the floor, targets, counts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podium_bench._figures import ratio
from podium_bench._stats import Percentiles, median

METRICS = (
    "runs_per_s",
    "transition_ms",
    "run_latency_ms",
    "chain40_total_ms",
    "chain40_overhead_ms_per_step",
    "floor_chain40_overhead_ms_per_step",
    "floor_runs_per_s",
    "floor_transition_ms",
    "floor_run_latency_ms",
    "coordinator_cpu_us_per_event",
    "floor_cpu_us_per_event",
    "handler_cpu_us_per_event",
    "coordinator_peak_rss_mb",
    "paced_rate_per_s",
)
"""Figures that a ``--repeat`` takes the median of."""

Report = dict[str, Any]


@dataclass(frozen=True)
class Measured:
    """Everything one benchmark run measured."""

    runs_per_s: float
    paced_rate_per_s: float
    transition: Percentiles
    run_latency: Percentiles
    chain_total_ms: float
    chain_overhead_ms_per_step: float
    floor_chain_overhead_ms_per_step: float
    """The same chain through bare relays (one sleeping 10 ms per step), in the same run."""
    floor_runs_per_s: float
    floor_transition: Percentiles
    floor_run_latency: Percentiles
    coordinator_cpu_us_per_event: float
    floor_cpu_us_per_event: float
    """CPU per record of the floor's relay for the coordinator's hops: the same measure of
    a bare consume -> produce, in the same run."""
    handler_cpu_us_per_event: float
    """The coordinator's handler alone (decode, decide, encode), in the benchmark's own
    process without Kafka, in the same run (``_handler``)."""
    coordinator_peak_rss_kb: int
    requested: int
    succeeded: int
    map: dict[str, Any] = field(default_factory=dict)
    """The map phase (``_podium._map_phase``): items, seconds, coordinator CPU per item, RSS."""
    detail: dict[str, Any] = field(default_factory=dict)


def report(measured: Measured, machine: Mapping[str, Any], settings: Mapping[str, Any]) -> Report:
    """One run's JSON (figures rounded to what a benchmark can tell apart)."""
    m = measured
    figures: Report = {
        "runs_per_s": round(m.runs_per_s, 1),
        "transition_ms": m.transition.as_dict(),
        "run_latency_ms": m.run_latency.as_dict(),
        "chain40_total_ms": round(m.chain_total_ms, 1),
        "chain40_overhead_ms_per_step": round(m.chain_overhead_ms_per_step, 2),
        "floor_chain40_overhead_ms_per_step": round(m.floor_chain_overhead_ms_per_step, 2),
        "floor_runs_per_s": round(m.floor_runs_per_s, 1),
        "floor_transition_ms": m.floor_transition.as_dict(),
        "floor_run_latency_ms": m.floor_run_latency.as_dict(),
        "coordinator_cpu_us_per_event": round(m.coordinator_cpu_us_per_event, 1),
        "floor_cpu_us_per_event": round(m.floor_cpu_us_per_event, 1),
        "handler_cpu_us_per_event": round(m.handler_cpu_us_per_event, 1),
        "coordinator_peak_rss_mb": round(m.coordinator_peak_rss_kb / 1024, 1),
        "paced_rate_per_s": round(m.paced_rate_per_s, 1),
    }
    outcomes = {"requested": m.requested, "succeeded": m.succeeded}
    return _complete(figures, outcomes, machine, settings, map=m.map, detail=m.detail)


def _complete(
    figures: Report,
    outcomes: Mapping[str, int],
    machine: Mapping[str, Any],
    settings: Mapping[str, Any],
    **extra: Any,
) -> Report:
    done = dict(outcomes)
    done["all_succeeded"] = done["requested"] == done["succeeded"]
    return {
        **figures,
        "ratios": ratios(figures),
        "targets": targets(figures),
        "outcomes": done,
        "machine": dict(machine),
        "settings": dict(settings),
        **extra,
    }


def ratios(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """Podium over the Kafka floor, to 3 significant digits (throughput: below 1 is slower;
    latency and CPU per event: above 1 is slower or costlier)."""
    t, ft = figures["transition_ms"], figures["floor_transition_ms"]
    r, fr = figures["run_latency_ms"], figures["floor_run_latency_ms"]
    values = {
        "runs_per_s": ratio(figures["runs_per_s"], figures["floor_runs_per_s"]),
        "transition_p50": ratio(t["p50"], ft["p50"]),
        "transition_p99": ratio(t["p99"], ft["p99"]),
        "run_latency_p50": ratio(r["p50"], fr["p50"]),
        "run_latency_p99": ratio(r["p99"], fr["p99"]),
        "chain40_overhead": ratio(
            figures["chain40_overhead_ms_per_step"], figures["floor_chain40_overhead_ms_per_step"]
        ),
        "cpu_per_event": ratio(
            figures["coordinator_cpu_us_per_event"], figures["floor_cpu_us_per_event"]
        ),
    }
    return {name: None if v is None else float(f"{v:.3g}") for name, v in values.items()}


_TARGETS: dict[str, tuple[str, Callable[[Mapping[str, Any]], float], Callable[[float], bool]]] = {
    "runs_per_s": (">= 300", lambda f: f["runs_per_s"], lambda v: v >= 300),
    "transition_p50_ms": ("<= 5", lambda f: f["transition_ms"]["p50"], lambda v: v <= 5),
    "transition_p99_ms": ("<= 25", lambda f: f["transition_ms"]["p99"], lambda v: v <= 25),
    "coordinator_cpu_us_per_event": (
        "<= 200",
        lambda f: f["coordinator_cpu_us_per_event"],
        lambda v: v <= 200,
    ),
    "chain40_overhead_ms_per_step": (
        "<= 5",
        lambda f: f["chain40_overhead_ms_per_step"],
        lambda v: v <= 5,
    ),
}


def targets(figures: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's targets for this machine class, each with the value and whether it is met."""
    found = {}
    for name, (goal, value_of, met) in _TARGETS.items():
        value = value_of(figures)
        found[name] = {"target": goal, "value": value, "met": met(value)}
    return found


def combine(reports: Sequence[Report]) -> Report:
    """The median of each figure over ``reports`` (each kept under ``repeats``)."""
    if not reports:
        raise ValueError("nothing to combine: no benchmark run finished")
    figures = {key: median_of([r[key] for r in reports]) for key in METRICS}
    outcomes = {key: sum(r["outcomes"][key] for r in reports) for key in ("requested", "succeeded")}
    first = reports[0]
    maps = [r["map"] for r in reports if r.get("map")]
    mapped = {"map": median_of(maps)} if len(maps) == len(reports) else {}
    return _complete(
        figures, outcomes, first["machine"], first["settings"], **mapped, repeats=list(reports)
    )


def median_of(values: Sequence[Any]) -> Any:
    """Median of numbers, or key by key of equally shaped dicts of numbers."""
    if isinstance(values[0], Mapping):
        return {key: median_of([v[key] for v in values]) for key in values[0]}
    return round(median([float(v) for v in values]), 2)
