"""A step service's Prometheus metrics, read from its runner when Prometheus scrapes
(nothing is updated per request)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from podium.metrics import new_registry, serve_metrics
from podium.settings import ServiceProcessSettings

if TYPE_CHECKING:
    from podium.service._runner import ServiceRunner

OUTCOMES = ("completed", "failed", "cancelled", "skipped", "poisoned", "duplicates")
"""Fields of ``ServiceStats`` counted as request outcomes (``duplicates``: a redelivered
request already in flight here, not run twice)."""


class ServiceMetrics(Collector):
    """``podium_service_*`` for one runner, labelled with its service name."""

    def __init__(self, runner: ServiceRunner) -> None:
        self._runner = runner

    def collect(self) -> Iterator[Metric]:
        runner, name = self._runner, self._runner.service.name
        stats = runner.stats
        yield _one(
            CounterMetricFamily,
            "podium_service_requests_received",
            "Step requests this service read.",
            name,
            stats.received,
        )
        outcomes = CounterMetricFamily(
            "podium_service_requests",
            "Step requests by outcome: completed, failed, cancelled, skipped (cancelled "
            "before it ran), poisoned, duplicates (already in flight).",
            labels=["service", "outcome"],
        )
        for outcome in OUTCOMES:
            outcomes.add_metric([name, outcome.removesuffix("s")], getattr(stats, outcome))
        yield outcomes
        yield _one(
            CounterMetricFamily,
            "podium_service_result_resends",
            "Result sends retried after a transient failure.",
            name,
            stats.resent,
        )
        yield _one(
            CounterMetricFamily,
            "podium_service_unsent",
            "Results or dead letters the broker did not acknowledge (left "
            "uncommitted, so the request comes back).",
            name,
            stats.unsent,
        )
        yield _one(
            CounterMetricFamily,
            "podium_service_dead_letters",
            "Requests this service dead-lettered.",
            name,
            stats.dead_lettered,
        )
        yield _one(
            GaugeMetricFamily,
            "podium_service_in_flight",
            "Handlers running now.",
            name,
            runner.in_flight,
        )
        yield _one(
            GaugeMetricFamily,
            "podium_service_concurrency",
            "Most handlers run at once (the service's concurrency).",
            name,
            runner.service.concurrency,
        )


def _one(
    kind: type[CounterMetricFamily] | type[GaugeMetricFamily],
    metric: str,
    doc: str,
    service: str,
    value: float,
) -> Metric:
    family = kind(metric, doc, labels=["service"])
    family.add_metric([service], value)
    return family


@contextmanager
def serving_metrics(
    runner: ServiceRunner, settings: ServiceProcessSettings
) -> Iterator[CollectorRegistry]:
    """The runner's metrics on a registry of their own, served while the block runs when
    ``settings.metrics_port`` is set."""
    registry = new_registry()
    registry.register(ServiceMetrics(runner))
    server = None
    if settings.metrics_port is not None:
        what = f"service {runner.service.name}"
        server = serve_metrics(registry, settings.metrics_port, settings.metrics_host, what=what)
    try:
        yield registry
    finally:
        if server is not None:
            server.close()
