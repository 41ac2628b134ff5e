"""The benchmark's arithmetic: pacing, rates, overheads, CPU per event (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podium_bench._procfs import SchedSnapshot
from podium_bench._stats import median


def schedule(count: int, rate: float) -> list[float]:
    """Send offsets in seconds from the start for ``count`` runs at ``rate`` per second,
    evenly spaced (a steady load, not bursts)."""
    if rate <= 0:
        raise ValueError(f"a paced rate must be positive, not {rate}")
    return [index / rate for index in range(count)]


def paced_rate(max_rate: float, load: float, fixed: float | None = None) -> float:
    """The rate of the latency phase: ``load`` (e.g. 0.7) of the measured maximum, or the
    ``fixed`` rate when one is given."""
    if not 0 < load <= 1:
        raise ValueError(f"load {load} must be in (0, 1]")
    if fixed is not None:
        if fixed <= 0:
            raise ValueError(f"a paced rate must be positive, not {fixed}")
        return fixed
    return max_rate * load


def paced_count(planned: int, rate: float, max_seconds: float, minimum: int = 50) -> int:
    """Runs of the latency phase: as planned, but no longer than ``max_seconds`` at ``rate``
    (a slow system still finishes soon), and at least ``minimum`` (enough samples for a p99)."""
    return max(min(planned, int(rate * max_seconds)), min(planned, minimum))


def rate(count: int, seconds: float) -> float:
    """Completions per second; ValueError for a phase that took no time."""
    if seconds <= 0:
        raise ValueError(f"a phase of {seconds}s has no rate")
    return count / seconds


def overhead_ms_per_step(total_ms: float, steps: int, sleep_ms: float) -> float:
    """What orchestration added per step of a sequential chain whose steps sleep ``sleep_ms``:
    ``(total - steps * sleep) / steps``."""
    if steps < 1:
        raise ValueError("a chain has at least one step")
    return (total_ms - steps * sleep_ms) / steps


def chain_figures(totals_ms: Sequence[float], steps: int, sleep_ms: float) -> dict[str, float]:
    """Median total time of the chain's runs and the overhead per step it implies."""
    total = median(totals_ms)
    return {"total_ms": total, "overhead_ms_per_step": overhead_ms_per_step(total, steps, sleep_ms)}


def cpu_us_per_event(cpu_seconds: float, events: int) -> float:
    """Microseconds of CPU per processed event; ValueError when nothing was processed."""
    if events <= 0:
        raise ValueError("no events processed: CPU per event is undefined")
    return cpu_seconds * 1e6 / events


def events_between(before: Mapping[object, int], after: Mapping[object, int]) -> int:
    """Messages appended between two end-offset snapshots (summed over partitions)."""
    return sum(after[tp] - before.get(tp, 0) for tp in after)


def ratio(podium: float, floor: float) -> float | None:
    """podium / floor, or None when the floor is zero (no ratio to report)."""
    return podium / floor if floor else None


def scheduling_profile(
    before: SchedSnapshot, after: SchedSnapshot, seconds: float
) -> dict[str, Any]:
    """Over ``seconds``, the cores each process ran on and the cores' worth of time it spent
    runnable but waiting for one (a process waiting as long as it runs takes twice as long
    to answer as on a core of its own), and how busy the whole machine was."""
    ended = after.processes
    processes = {
        name: {
            "on_cpu_cores": round((ended[name].on_cpu_ns - was.on_cpu_ns) / 1e9 / seconds, 2),
            "waiting_cores": round((ended[name].waiting_ns - was.waiting_ns) / 1e9 / seconds, 2),
        }
        for name, was in before.processes.items()
        if name in ended
    }
    start, end = before.machine, after.machine
    total = end.total - start.total
    busy_pct = round(100 * (end.busy - start.busy) / total, 1) if total else None
    return {"processes": processes, "machine_busy_pct": busy_pct}
