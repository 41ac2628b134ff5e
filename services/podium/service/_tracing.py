"""An OpenTelemetry "process" span around each handler, parented by the request.

The aiokafka instrumentation detaches its consumer span before our code runs
(open-telemetry/opentelemetry-python-contrib#3465), so, like the confluent-kafka
instrumentation, we open our own span from the request's headers. Without an
OpenTelemetry SDK configured this is a no-op; the trace headers still travel
verbatim (see ``_results.result_headers``), so no hop loses the trace. With one, the
result carries the process span's context instead (``result_trace``): a new span id per
hop.

Without an SDK the span would be the request's own (non-recording) span context: the
API's no-op tracer returns the parent it is given. So then we only make that span
current, as ``start_as_current_span`` would, without building the attributes and the
span machinery per request; the handler sees the same current span either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import (
    ProxyTracer,
    ProxyTracerProvider,
    Span,
    SpanKind,
    Status,
    StatusCode,
)

from podium.contract import HeaderGetter, StepRequested

_tracer = trace.get_tracer("podium.service")


@contextmanager
def process_span(
    service: str, topic: str, request: StepRequested, headers: Sequence[tuple[str, bytes]]
) -> Iterator[Span]:
    """A CONSUMER span ``<topic> process`` that is current while the handler runs."""
    parent = propagate.extract(list(headers), getter=HeaderGetter())
    if _no_sdk():
        span = trace.get_current_span(parent)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            yield span
        finally:
            otel_context.detach(token)
        return
    attributes: dict[str, str | int] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "podium.service": service,
        "podium.run_id": request.run_id,
        "podium.step": request.step,
        "podium.attempt": request.attempt,
    }
    with _tracer.start_as_current_span(
        f"{topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def mark_failed(span: Span, error_type: str, message: str) -> None:
    """An attempt that failed: its span's status is ERROR (a no-op span ignores it)."""
    if span.is_recording():
        span.set_status(Status(StatusCode.ERROR, f"{error_type}: {message}"))


def result_trace(
    span: Span, headers: Sequence[tuple[str, bytes]]
) -> list[tuple[str, bytes]] | None:
    """The request's headers with the ``traceparent`` of ``span`` (the process span), for
    the result it produces: the next hop is that span's child. None without an SDK: the
    result then carries the request's trace headers verbatim, as before."""
    if _no_sdk():
        return None
    context = span.get_span_context()
    if not context.is_valid:
        return None
    flags = int(context.trace_flags) & 0xFF
    parent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}".encode()
    kept = [(key, value) for key, value in headers if key != "traceparent"]
    return [("traceparent", parent), *kept]


def _no_sdk() -> bool:
    """True while spans are no-ops: our proxy tracer has no SDK provider to delegate to."""
    return isinstance(_tracer, ProxyTracer) and isinstance(
        trace.get_tracer_provider(), ProxyTracerProvider
    )
