"""The lag monitor's last report as Prometheus gauges, read when Prometheus scrapes.

Labels stay bounded: group, topic, partition and service (the partitions of Podium's own
topics); the steps a group serves are joined through ``podium_consumer_group_step_info``
so a step's lag is ``podium_consumer_lag_seconds * on(group) group_left(pipeline, step)
podium_consumer_group_step_info``, never a label per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from podium.lag._model import GroupLag, LagReport, LagStatus

PARTITION_LABELS = ["group", "topic", "partition", "service"]
GROUP_LABELS = ["group", "service"]


class Reports(Protocol):
    def report(self) -> LagReport | None: ...


class LagCollector(Collector):
    """Gauges from ``monitor.report()``; nothing before the first sample."""

    def __init__(self, monitor: Reports) -> None:
        self._monitor = monitor

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = _families()
        report = self._monitor.report()
        for group in report.groups if report is not None else ():
            _add_group(families, group)
        for dlq in report.dlq if report is not None else ():
            families["dlq"].add_metric([dlq.topic], dlq.messages)
        yield from families.values()


def _families() -> dict[str, GaugeMetricFamily]:
    def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
        return GaugeMetricFamily(name, doc, labels=labels)

    return {
        "messages": gauge(
            "podium_consumer_lag_messages",
            "Messages after the group's committed offset (log end - committed).",
            PARTITION_LABELS,
        ),
        "seconds": gauge(
            "podium_consumer_lag_seconds",
            "How long the oldest unconsumed message has waited (0 with no lag).",
            PARTITION_LABELS,
        ),
        "rate": gauge(
            "podium_consumer_group_consumed_messages_per_second",
            "Committed offsets' advance over the monitor's window.",
            GROUP_LABELS,
        ),
        "eta": gauge(
            "podium_consumer_group_drain_seconds",
            "Estimated time to consume the lag at the current rate (absent when not draining).",
            GROUP_LABELS,
        ),
        "members": gauge("podium_consumer_group_members", "Live members.", GROUP_LABELS),
        "status": gauge(
            "podium_consumer_group_status",
            "1 for the group's status over the window (OK, WARNING, STALLED, STOPPED).",
            [*GROUP_LABELS, "status"],
        ),
        "steps": gauge(
            "podium_consumer_group_step_info",
            "1 for each pipeline step whose requests the group consumes.",
            [*GROUP_LABELS, "pipeline", "step"],
        ),
        "dlq": gauge(
            "podium_dlq_depth_messages",
            "Dead letters the topic holds (replayed ones included, until retention drops them).",
            ["topic"],
        ),
    }


def _add_group(families: dict[str, GaugeMetricFamily], group: GroupLag) -> None:
    service = group.identity.service or group.identity.role.value
    own = [group.group, service]
    for p in group.partitions:
        labels = [group.group, p.topic, str(p.partition), service]
        families["messages"].add_metric(labels, p.lag_messages)
        if p.lag_seconds is not None:
            families["seconds"].add_metric(labels, p.lag_seconds)
    if group.rate is not None:
        families["rate"].add_metric(own, group.rate)
    if group.eta_seconds is not None:
        families["eta"].add_metric(own, group.eta_seconds)
    families["members"].add_metric(own, group.members)
    for status in LagStatus:
        families["status"].add_metric([*own, status.value], float(status is group.status))
    for ref in group.identity.steps:
        families["steps"].add_metric([*own, ref.pipeline, ref.step], 1)


def register_lag_collector(registry: CollectorRegistry, monitor: Reports) -> LagCollector:
    """Register the monitor's gauges on ``registry`` (the API's, or the CLI's)."""
    collector = LagCollector(monitor)
    registry.register(collector)
    return collector
