"""The coordinator's spans: one per run, one per step attempt it requests.

A run outlives batches and restarts, so no span is held open: ``span_notes`` (pure) says,
for an applied decision, which spans it ends (a request's ``<topic> publish`` span when
the request is made; the run's ``run <pipeline>`` span when the run finishes), and
``emit_spans`` records them once the batch is done, with explicit start and end times and
the ids ``_traceids`` derives, so each is the parent its children already name. Only
called with tracing on (see ``Handler.tracing``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeGuard

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from podium.contract import HeaderGetter, RunStatus
from podium.coordinator._traceids import attempt_span_id, run_span_id, run_trace
from podium.coordinator.core._commands import EmitRunEvent, RequestStep
from podium.coordinator.core._machine import Decision


class SpanStarter(Protocol):
    """What ``podium.tracing`` hands an instrumented process (its ``Tracing``)."""

    def start_span(
        self,
        name: str,
        ids: tuple[int | None, int],
        *,
        context: Context | None,
        kind: SpanKind,
        attributes: Mapping[str, str | int],
        start_time: int,
    ) -> Span: ...


log = logging.getLogger("podium.coordinator")
_FAILED = frozenset({RunStatus.FAILED, RunStatus.COMPENSATED})


@dataclass(frozen=True, slots=True)
class StepSpan:
    run_id: str
    pipeline: str
    step: str
    attempt: int
    topic: str
    trace: Mapping[str, str]
    at_ms: int


@dataclass(frozen=True, slots=True)
class RunSpan:
    run_id: str
    pipeline: str
    trace: Mapping[str, str]
    start_ms: int
    end_ms: int
    status: RunStatus
    reason: str | None


SpanNote = StepSpan | RunSpan


def span_notes(decision: Decision, now_ms: int) -> list[SpanNote]:
    """The spans ``decision`` ends."""
    state = decision.state
    if state is None:
        return []
    out: list[SpanNote] = []
    for command in decision.commands:
        if isinstance(command, RequestStep):
            step = StepSpan(
                state.run_id, state.pipeline, command.step, command.attempt, command.topic,
                state.trace, now_ms,
            )  # fmt: skip
            out.append(step)
        elif _run_ended(command):
            run = RunSpan(
                state.run_id, state.pipeline, state.trace, state.created_at_ms,
                command.at_ms, command.run_status, state.reason,
            )  # fmt: skip
            out.append(run)
    return out


def _run_ended(command: object) -> TypeGuard[EmitRunEvent]:
    return (
        isinstance(command, EmitRunEvent)
        and command.step is None
        and command.run_status.is_terminal
    )


def emit_spans(tracing: SpanStarter, notes: Iterable[SpanNote]) -> None:
    """Record the batch's spans (the requests were produced: they end now)."""
    now_ns = time.time_ns()
    try:
        for note in notes:
            if isinstance(note, StepSpan):
                _emit_step(tracing, note, now_ns)
            else:
                _emit_run(tracing, note)
    except Exception:  # a span must never stop the coordinator
        log.exception("tracing: the batch's spans were not all recorded")


def _emit_step(tracing: SpanStarter, note: StepSpan, now_ns: int) -> None:
    run = run_trace(note.run_id, note.trace)
    parent = SpanContext(run.trace_id, run_span_id(note.run_id), True, TraceFlags(run.flags & 1))
    attributes: dict[str, str | int] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "send",
        "messaging.operation.name": "publish",
        "messaging.destination.name": note.topic,
        "messaging.kafka.message.key": note.run_id,
        "podium.run_id": note.run_id,
        "podium.pipeline": note.pipeline,
        "podium.step": note.step,
        "podium.attempt": note.attempt,
    }
    span_id = attempt_span_id(note.run_id, note.step, note.attempt)
    start_ns = note.at_ms * 1_000_000
    _start_and_end(
        tracing, f"{note.topic} publish", SpanKind.PRODUCER, parent, (run.trace_id, span_id),
        attributes, start_ns, max(start_ns, now_ns), None,
    )  # fmt: skip


def _emit_run(tracing: SpanStarter, note: RunSpan) -> None:
    run = run_trace(note.run_id, note.trace)
    parent = None
    if run.parent_id is not None:
        parent = SpanContext(run.trace_id, run.parent_id, True, TraceFlags(run.flags & 1))
    attributes: dict[str, str | int] = {
        "podium.run_id": note.run_id,
        "podium.pipeline": note.pipeline,
        "podium.run.status": note.status.value.lower(),
    }
    status = Status(StatusCode.ERROR, note.reason) if note.status in _FAILED else None
    _start_and_end(
        tracing, f"run {note.pipeline}", SpanKind.INTERNAL, parent,
        (run.trace_id, run_span_id(note.run_id)), attributes,
        note.start_ms * 1_000_000, note.end_ms * 1_000_000, status,
    )  # fmt: skip


def _start_and_end(
    tracing: SpanStarter,
    name: str,
    kind: SpanKind,
    parent: SpanContext | None,
    ids: tuple[int, int],
    attributes: dict[str, str | int],
    start_ns: int,
    end_ns: int,
    status: Status | None,
) -> None:
    context = Context()  # without a parent: a root, whatever span is current
    if parent is not None:
        context = trace.set_span_in_context(trace.NonRecordingSpan(parent), context)
    span = tracing.start_span(
        name, ids, context=context, kind=kind, attributes=attributes, start_time=start_ns
    )
    if status is not None:
        span.set_status(status)
    span.end(end_time=max(start_ns, end_ns))


def rejected_span(
    topic: str, partition: int, offset: int, headers: Iterable[tuple[str, bytes]], reason: str
) -> str:
    """Record the coordinator's ``<topic> process`` span for a record it dead-letters (a
    child of the record's own trace context, status ERROR with the reason), and return
    its ``traceparent`` for the letter: the letter is a hop of its own. Only called with
    tracing on; letters are rare, so this is the plain SDK path."""
    parent = propagate.extract(list(headers), getter=HeaderGetter())
    attributes: dict[str, str | int] = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.destination.partition.id": str(partition),
        "messaging.kafka.offset": offset,
        "podium.dlq.reason": reason,
    }
    span = _tracer.start_span(
        f"{topic} process", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    )
    span.set_status(Status(StatusCode.ERROR, f"dead-lettered: {reason}"))
    span.end()
    ids = span.get_span_context()
    return f"00-{ids.trace_id:032x}-{ids.span_id:016x}-{int(ids.trace_flags):02x}"


_tracer = trace.get_tracer("podium.coordinator")
