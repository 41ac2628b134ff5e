"""What one benchmark run does: counts, load, chain shape, client settings (pure data)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from podium._priority import BENCH_COORDINATOR_NICE

DEFAULT_COORDINATOR_NICE = BENCH_COORDINATOR_NICE

STEPS = ("a", "b", "c")
"""The linear pipeline's steps; each has its own no-op service and request topic."""


@dataclass(frozen=True)
class Plan:
    """Counts and knobs of one run (``full`` and ``smoke`` are the two presets)."""

    mode: str
    warmup: int = 300
    """Runs before measuring (processes start, groups join, caches fill)."""
    runs: int = 3000
    """Runs of the throughput phase."""
    window: int = 200
    """Throughput phase: runs in flight at once (a new one starts as one finishes)."""
    paced_runs: int = 1500
    paced_max_s: float = 20.0
    """The latency phase sends for at most this long (fewer runs on a slow system)."""
    load: float = 0.7
    """The latency phase's rate as a fraction of the measured maximum."""
    paced_rate: float | None = None
    """A fixed rate for the latency phase (runs/s) instead of ``load``: the same offered load
    across versions or machines, whatever their maximum."""
    chain_steps: int = 40
    chain_sleep_ms: float = 10.0
    chain_runs: int = 3
    map_items: int = 10_000
    """Items of the map phase's one run (a ``for_each`` step over no-op items)."""
    map_parallel: int = 100
    """The map step's ``max_parallel``."""
    partitions: int = 6
    service_concurrency: int = 32
    stall_s: float = 60.0
    """A phase fails when no run finished for this long."""
    coordinator_nice: int | None = DEFAULT_COORDINATOR_NICE
    """Nice of the coordinator and of the floor's relay for its hops (None: as started).
    Every run goes through that one process while the services share the hops, so on a
    machine they all share it is served first, as a dedicated core would serve it."""

    @classmethod
    def full(
        cls,
        runs: int | None = None,
        paced_rate: float | None = None,
        coordinator_nice: int | None = DEFAULT_COORDINATOR_NICE,
    ) -> Plan:
        plan = cls(mode="full", paced_rate=paced_rate, coordinator_nice=coordinator_nice)
        if runs is None:
            return plan
        return dataclasses.replace(
            plan, runs=runs, warmup=max(20, runs // 10), paced_runs=max(20, runs // 2)
        )

    @classmethod
    def smoke(
        cls, runs: int | None = None, coordinator_nice: int | None = DEFAULT_COORDINATOR_NICE
    ) -> Plan:
        """A few hundred runs in all, a short chain: checks it works, never how fast."""
        return cls(
            mode="smoke",
            warmup=20,
            runs=runs or 120,
            window=50,
            paced_runs=60,
            chain_steps=5,
            chain_runs=1,
            map_items=200,
            map_parallel=20,
            partitions=2,
            coordinator_nice=coordinator_nice,
        )

    def as_settings(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
