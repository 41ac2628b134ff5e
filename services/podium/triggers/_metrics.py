"""The trigger runner's Prometheus metrics, read from its counters when Prometheus scrapes
(nothing is updated on the event path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from podium.triggers._send import TriggerStats

SKIP_REASONS = (
    "too_old",
    "rejected",
    "dead_lettered",
    "unsent",
    "unmatched",
    "undecodable",
    "registry_unavailable",
)


class TriggerMetrics(Collector):
    """``podium_trigger_*``: events read, runs requested by source, events skipped."""

    def __init__(self, stats: Callable[[], TriggerStats]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[CounterMetricFamily]:
        stats = self._stats()
        yield _counter("podium_trigger_events", "Records read from trigger topics.", stats.events)
        runs = CounterMetricFamily(
            "podium_trigger_runs_requested",
            "RunRequested produced by triggers, by source (event, cron).",
            labels=["source"],
        )
        runs.add_metric(["event"], stats.event_runs)
        runs.add_metric(["cron"], stats.cron_runs)
        yield runs
        skipped = CounterMetricFamily(
            "podium_trigger_events_skipped",
            "Trigger firings not turned into runs, by reason (too_old: before the trigger's "
            "from; rejected: params that do not fit; dead_lettered; unsent; unmatched: no "
            "trigger took the event; undecodable: no trigger could read it and none declared "
            "a DLQ; registry_unavailable: read again once the Schema Registry answers).",
            labels=["reason"],
        )
        for reason in SKIP_REASONS:
            skipped.add_metric([reason], getattr(stats, reason))
        yield skipped
        yield _counter("podium_trigger_errors", "Unexpected trigger errors (logged).", stats.errors)


def _counter(name: str, doc: str, value: int) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)
