"""Headers of a triggered RunRequested: the trigger's trace context, or a new trace (pure).

An event's ``traceparent``/``tracestate``/``baggage`` are carried verbatim, so
the run continues the trace of whatever announced the event. A cron tick, or an
event without a ``traceparent``, starts a new trace: a random W3C traceparent
(version 00, sampled), so every run is one trace from its first message.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from podium.contract import Headers, encode_headers, routing_headers


def new_traceparent() -> str:
    """A random W3C ``traceparent``: ``00-<32 hex trace id>-<16 hex span id>-01``."""
    trace_id = _nonzero_hex(16)
    span_id = _nonzero_hex(8)
    return f"00-{trace_id}-{span_id}-01"


def _nonzero_hex(size: int) -> str:
    """Random hex of ``size`` bytes; all zeros is an invalid W3C id, so never that."""
    while True:
        value = secrets.token_hex(size)
        if value.strip("0"):
            return value


def run_headers(run_id: str, trace: Mapping[str, str]) -> Headers:
    """``podium-run-id`` plus the trace headers, with a new traceparent when there is none.

    Without a traceparent, a lone ``tracestate`` belongs to no trace and is
    dropped; ``baggage`` stands on its own and is kept.
    """
    context = dict(trace)
    if "traceparent" not in context:
        context.pop("tracestate", None)
        context = {"traceparent": new_traceparent(), **context}
    return [*encode_headers(context), *routing_headers(run_id)]
