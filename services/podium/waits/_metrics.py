"""The waiter's Prometheus metrics, read from its counters when Prometheus scrapes."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from podium.waits._stats import WaitStats

COUNTED = {
    "waits": "Attempts of waiting steps (event, approval, signal) taken in.",
    "events": "Events and signals taken in that may end a wait.",
    "unmatched": "Events on a waited-on topic that no waiting step takes.",
    "undecodable": "Records on a waited-on topic the waiter cannot read (not dead-lettered).",
    "unknown": "Requests of steps that are no waiting step of a published pipeline.",
    "completed": "Results sent for waiting steps (completions and failures).",
    "expired": "Events dropped after their keep without a wait: for unknown or finished runs, "
    "or runs that never reached the step.",
    "errors": "Unexpected waiter errors (logged; the waiter carries on).",
}


class WaitMetrics(Collector):
    """``podium_waits_<counter>_total`` for each counter of :class:`WaitStats`."""

    def __init__(self, stats: Callable[[], WaitStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self._stats()
        for name, doc in COUNTED.items():
            yield CounterMetricFamily(f"podium_waits_{name}", doc, value=getattr(stats, name))
