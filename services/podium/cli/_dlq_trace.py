"""A replay's span: ``<topic> publish``, linked to the dead letter's trace context.

A replay is a new send, possibly days later, so it starts a trace of its own (an OTel
Link, not a parent, ties it to the original: the messaging conventions' way for a
message that is sent again) and the replayed record carries the new span's context.
Only called with tracing on.
"""

from __future__ import annotations

import dataclasses

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, SpanKind, Tracer

from podium.contract import HeaderGetter
from podium.dlq import Replay


def linked_replay(replay: Replay, tracer: Tracer | None = None) -> Replay:
    """``replay`` with the ``traceparent`` of a span linked to its original's (``tracer``:
    the installed SDK's, unless given)."""
    tracer = tracer or trace.get_tracer("podium.dlq")
    original = trace.get_current_span(
        propagate.extract(list(replay.headers), getter=HeaderGetter())
    )
    links = [Link(original.get_span_context())] if original.get_span_context().is_valid else []
    attributes: dict[str, str] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": replay.topic,
        "podium.replay_of": replay.entry.coordinate,
    }
    if replay.key is not None:
        attributes["messaging.kafka.message.key"] = replay.key.decode("utf-8", "replace")
    span = tracer.start_span(
        f"{replay.topic} publish",
        context=trace.set_span_in_context(trace.INVALID_SPAN),  # a new trace: a root
        kind=SpanKind.PRODUCER,
        links=links,
        attributes=attributes,
    )
    with trace.use_span(span, end_on_exit=True):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    kept = [
        (key, value) for key, value in replay.headers if key not in ("traceparent", "tracestate")
    ]
    ours = [(key, value.encode("ascii")) for key, value in carrier.items() if key != "baggage"]
    return dataclasses.replace(replay, headers=ours + kept)
