"""Prometheus metrics: one registry per process, served on ``/metrics``.

Each long-running process (coordinator, step service, API) builds its own registry with
:func:`new_registry` (the process and platform collectors included) and registers its
metrics there, so two Podium components in one Python process (tests, the demo) never
clash over a metric name. :func:`serve_metrics` serves a registry on a port of its own
(the coordinator, the services); the API serves its registry on its HTTP port
(:func:`render`). Metric names follow Prometheus conventions: ``_total`` counters,
``_seconds`` in base units, bounded labels (pipeline, step, service, topic, reason,
status, outcome), never a run id. ``docs/metrics.md`` lists them all.
"""

from podium.metrics._registry import (
    CONTENT_TYPE,
    MetricsServer,
    new_registry,
    render,
    serve_metrics,
)

__all__ = ["CONTENT_TYPE", "MetricsServer", "new_registry", "render", "serve_metrics"]
