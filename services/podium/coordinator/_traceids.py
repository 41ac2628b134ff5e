"""Span ids derived from what a run is, and the ``traceparent`` a step request carries. Pure.

The coordinator keeps no span open across batches (runs outlive batches and restarts), so
a run's span and each step attempt's span get ids computed from the run id (and the step
and attempt): any batch, on any instance, after any restart, names the same span. The
spans are emitted when they end (``_emit``); the ids put in the requests make the services'
spans their children before then. Emitted by ``_spans``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


def _hash_id(text: str, size: int) -> int:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()
    return int.from_bytes(digest, "big") or 1  # zero is the invalid id


def run_span_id(run_id: str) -> int:
    """The run span's id."""
    return _hash_id(f"run\0{run_id}", 8)


def attempt_span_id(run_id: str, step: str, attempt: int) -> int:
    """The span id of a step attempt's request (its ``<topic> publish`` span)."""
    return _hash_id(f"step\0{run_id}\0{step}\0{attempt}", 8)


@dataclass(frozen=True, slots=True)
class RunTrace:
    """Where a run sits in its trace: the trace id, the trigger's span (its parent; None
    when the run came without a usable ``traceparent``) and the trace flags."""

    trace_id: int
    parent_id: int | None
    flags: int

    def traceparent(self, span_id: int) -> str:
        return f"00-{self.trace_id:032x}-{span_id:016x}-{self.flags:02x}"


def run_trace(run_id: str, trace: Mapping[str, str]) -> RunTrace:
    """The run's trace from its trigger's headers; without a valid ``traceparent``, a
    trace id derived from the run id (sampled), so every batch agrees on it."""
    match = _TRACEPARENT.match(trace.get("traceparent", "").strip().lower())
    if match is not None:
        trace_id, parent_id = int(match[1], 16), int(match[2], 16)
        if trace_id and parent_id:
            return RunTrace(trace_id, parent_id, int(match[3], 16))
    return RunTrace(_hash_id(f"trace\0{run_id}", 16), None, 1)


def step_trace(run_id: str, step: str, attempt: int, trace: Mapping[str, str]) -> dict[str, str]:
    """The trace headers of a step request (and of its cancel notice): the run's, with a
    ``traceparent`` naming the attempt's span."""
    return _naming(run_id, trace, attempt_span_id(run_id, step, attempt))


def event_trace(
    run_id: str, step: str | None, attempt: int | None, trace: Mapping[str, str]
) -> dict[str, str]:
    """The trace headers of a run event: a step attempt's event names the attempt's span,
    a run-level event the run's span."""
    if step is not None and attempt is not None:
        return step_trace(run_id, step, attempt, trace)
    return _naming(run_id, trace, run_span_id(run_id))


def _naming(run_id: str, trace: Mapping[str, str], span_id: int) -> dict[str, str]:
    """The run's headers with a ``traceparent`` naming ``span_id`` (the run's
    ``tracestate`` belongs to the trigger's span: dropped; ``baggage`` travels on)."""
    headers = {key: value for key, value in trace.items() if key == "baggage"}
    headers["traceparent"] = run_trace(run_id, trace).traceparent(span_id)
    return headers
