"""Installing the OpenTelemetry SDK in a Podium process: the shell of ``_config``.

With tracing off (``OTEL_TRACES_EXPORTER`` unset or ``none``) nothing is installed: the
API's proxy tracer stays a no-op, and the hot paths, handed no ``Tracing``, skip every
span. With it on, one TracerProvider with a BatchSpanProcessor exports in the
background; ``traced_process`` shuts it down (flushing what is queued) when the process
ends, normally or by SIGTERM (our processes stop on SIGTERM through ``stop_on_signals``
and leave the ``with`` block).
"""

from __future__ import annotations

import atexit
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider, sampling
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import Span, SpanKind

from podium.tracing._config import TracingConfig, config_from_env

log = logging.getLogger("podium.tracing")

forced_ids: ContextVar[tuple[int | None, int] | None] = ContextVar("podium_span_ids", default=None)
"""(trace id or None, span id) for the next span started: see ``PodiumIdGenerator``."""


class PodiumIdGenerator(RandomIdGenerator):
    """Random ids, unless ``forced_ids`` is set: then the ids the coordinator derived, so
    an exported span has the id its children already name (see ``_ids``)."""

    def generate_span_id(self) -> int:
        forced = forced_ids.get()
        return forced[1] if forced is not None else super().generate_span_id()

    def generate_trace_id(self) -> int:
        forced = forced_ids.get()
        if forced is not None and forced[0] is not None:
            return forced[0]
        return super().generate_trace_id()


@dataclass(frozen=True)
class Tracing:
    """An installed SDK: its provider, and spans started with given ids."""

    provider: TracerProvider

    def start_span(
        self,
        name: str,
        ids: tuple[int | None, int],
        *,
        context: Context | None,
        kind: SpanKind,
        attributes: Mapping[str, str | int],
        start_time: int,
    ) -> Span:
        """A span whose (trace id, span id) are ``ids`` (trace id None: the parent's)."""
        token = forced_ids.set(ids)
        try:
            return self.provider.get_tracer("podium").start_span(
                name, context=context, kind=kind, attributes=attributes, start_time=start_time
            )
        finally:
            forced_ids.reset(token)


def install_tracing(service: str, env: Mapping[str, str] | None = None) -> Tracing | None:
    """Install the SDK as ``env`` (the process environment) asks; None when tracing is
    off. A bad variable is logged, never raised (see ``_config``)."""
    config, problems = config_from_env(os.environ if env is None else env, service)
    for problem in problems:
        log.error("tracing: %s", problem)
    if not config.enabled:
        return None
    provider = TracerProvider(
        sampler=_sampler(config),
        resource=Resource.create({SERVICE_NAME: config.service_name}),
        id_generator=PodiumIdGenerator(),
    )
    provider.add_span_processor(BatchSpanProcessor(_exporter(config)))
    trace.set_tracer_provider(provider)
    atexit.register(provider.shutdown)  # a second shutdown is a no-op
    log.info("tracing: exporting spans (%s) as %s", config.exporter, config.service_name)
    return Tracing(provider)


@contextmanager
def traced_process(service: str) -> Iterator[Tracing | None]:
    """``install_tracing`` for the ``with`` block (None: tracing is off); the spans still
    queued are exported when it ends."""
    tracing = install_tracing(service)
    try:
        yield tracing
    finally:
        if tracing is not None:
            tracing.provider.shutdown()


def _exporter(config: TracingConfig) -> SpanExporter:
    if config.exporter == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=config.endpoint)


def _sampler(config: TracingConfig) -> sampling.Sampler:
    ratio = sampling.TraceIdRatioBased(config.ratio)
    root: sampling.Sampler = {
        "always_on": sampling.ALWAYS_ON,
        "always_off": sampling.ALWAYS_OFF,
        "traceidratio": ratio,
    }.get(config.sampler.removeprefix("parentbased_"), sampling.ALWAYS_ON)
    if config.sampler.startswith("parentbased_"):
        return sampling.ParentBased(root)
    return root
