"""Percentiles and medians of measured values (pure).

Percentiles use the nearest-rank definition: p95 of 100 values is the 95th
smallest, always a value that was actually observed (no interpolation), so a
``max`` of 7 ms and a p99 of 7 ms mean the same 7 ms sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50/p95/p99/max of one latency, in milliseconds; ``count`` samples."""

    p50: float
    p95: float
    p99: float
    max: float
    count: int

    def as_dict(self) -> dict[str, float]:
        """The JSON shape the issue fixes (``count`` is reported beside it)."""
        return {"p50": self.p50, "p95": self.p95, "p99": self.p99, "max": self.max}


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest-rank ``p``-th percentile of ascending ``ordered`` (0 < p <= 100)."""
    if not ordered:
        raise ValueError("no samples: a percentile needs at least one value")
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} is outside (0, 100]")
    rank = math.ceil(p / 100 * len(ordered))
    return float(ordered[max(rank, 1) - 1])


def summarize(values: Sequence[float]) -> Percentiles:
    """The percentiles of ``values`` (any order); ValueError when empty."""
    ordered = sorted(values)
    return Percentiles(
        p50=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=percentile(ordered, 100),
        count=len(ordered),
    )


def median(values: Sequence[float]) -> float:
    """The median (mean of the two middle values for an even count); ValueError when empty."""
    if not values:
        raise ValueError("no values: a median needs at least one")
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
