"""The waiter's decisions (pure): what a request waits for, which events are for it, and
the result an event (or a person, or the clock) gives the step."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from podium.contract import Signal, StepCompleted, StepFailed, StepRequested, split_input
from podium.pipelines import EventWait, Pipeline, Step, StepKind, field_value, reference_value
from podium.triggers import (
    EventSource,
    event_type_matches,
    event_value,
    field_matches,
    match_event,
    value_text,
)
from podium.waits._model import SIGNAL_RULE, Arrival, Wait, signal_value

WORKER = "podium-waiter"


class NoCorrelationValue(ValueError):
    """The request lacks what its event is looked up by (a param, an upstream output)."""


def waiting_steps(pipelines: Iterable[Pipeline]) -> Iterator[tuple[Pipeline, Step]]:
    for pipeline in pipelines:
        for step in pipeline.steps:
            if step.waits:
                yield pipeline, step


def rule_of(step: Step) -> str:
    """What the step's events are looked up by: ``header:<n>``, ``field:<p>`` or signal."""
    return step.event.correlate.rule if step.event is not None else SIGNAL_RULE


def topic_of(step: Step, signals_topic: str) -> str:
    return step.event.topic if step.event is not None else signals_topic


def wait_of(step: Step, request: StepRequested, signals_topic: str, trace: dict[str, str]) -> Wait:
    """The wait of one request; NoCorrelationValue when the run lacks its value."""
    if step.event is None:
        value = signal_value(request.run_id, step.signal_name)
    else:
        value = value_text(_reference(step.event.correlate.equals, request))
    return Wait(
        run_id=request.run_id,
        step=request.step,
        attempt=request.attempt,
        pipeline=request.pipeline,
        version=request.pipeline_version,
        topic=topic_of(step, signals_topic),
        rule=rule_of(step),
        value=value,
        deadline_ms=_ms(request.deadline),
        requested_ms=_ms(request.requested_at),
        trace=trace,
    )


def _reference(reference: str, request: StepRequested) -> Any:
    envelope = split_input(json.loads(request.input_json or "{}"), request.step)
    value = reference_value(
        reference,
        run_id=request.run_id,
        params=json.loads(request.params_json or "{}"),
        input=envelope.input,
        upstream=envelope.upstream,
    )
    if value is None:
        raise NoCorrelationValue(f"the run has no {reference}: its event cannot be looked up")
    return value


def arrivals_of(
    waits_on_topic: Iterable[EventWait], source: EventSource, now_ms: int
) -> list[Arrival]:
    """One arrival per correlation rule on the event's topic whose waits may take it."""
    stamped = _ms(source.stamped_at) if source.stamped_at else now_ms
    by_rule: dict[str, int] = {}
    for wait in waits_on_topic:
        if wait.format is source.format and _may_take(wait, source):
            rule, keep = wait.correlate.rule, round(wait.keep * 1000)
            by_rule[rule] = max(by_rule.get(rule, 0), keep)
    arrivals = []
    for rule, keep in by_rule.items():
        value = event_value(source.fields, source.headers, rule.removeprefix("field:"))
        if value is not None:
            arrivals.append(_arrival(source, rule, value_text(value), stamped, stamped + keep))
    return arrivals


def _may_take(wait: EventWait, source: EventSource) -> bool:
    if not event_type_matches(wait.reading, source.type_name):
        return False
    return match_event(wait.reading, source.fields, source.headers) or _fails(wait, source.fields)


def _arrival(source: EventSource, rule: str, value: str, stamped: int, expires: int) -> Arrival:
    return Arrival(
        topic=source.topic,
        rule=rule,
        value=value,
        origin=source.reference,
        fields=dict(source.fields),
        headers=dict(source.headers),
        type_name=source.type_name,
        stamped_ms=stamped,
        expires_ms=expires,
    )


def signal_arrival(signal: Signal, source: EventSource, keep_ms: int) -> Arrival:
    """A Signal as an arrival for the signal or approval step of its run and name."""
    stamped = _ms(signal.sent_at)
    fields = {
        "payload": signal.payload,
        "sent_by": signal.sent_by,
        "sent_at": signal.sent_at.isoformat(),
    }
    return Arrival(
        topic=source.topic,
        rule=SIGNAL_RULE,
        value=signal_value(signal.run_id, signal.name),
        origin=source.reference,
        fields=fields,
        headers=dict(source.headers),
        type_name=Signal.avro_name,
        stamped_ms=stamped,
        expires_ms=stamped + keep_ms,
    )


def fits(step: Step | None, wait: Wait, arrival: Arrival) -> bool:
    """Whether ``arrival`` is for ``wait``'s step (its key already matched)."""
    if step is None:
        return False
    if step.event is None:
        return True  # a signal's key holds its run and name
    source = _as_source(arrival)
    return _may_take(step.event, source)


def _as_source(arrival: Arrival) -> EventSource:
    topic, partition, offset = arrival.origin.rsplit("/", 2)
    return EventSource(
        topic=topic,
        partition=int(partition),
        offset=int(offset),
        type_name=arrival.type_name,
        fields=arrival.fields,
        headers=arrival.headers,
    )


def _fails(wait: EventWait, fields: Mapping[str, Any]) -> bool:
    if not wait.fails_on:
        return False
    return all(
        field_matches(pattern, field_value(fields, path)) for path, pattern in wait.fails_on.items()
    )


def outcome(step: Step, wait: Wait, arrival: Arrival, now: datetime) -> StepCompleted | StepFailed:
    """What an event (or a signal, or a decision) makes of the step's attempt."""
    if step.kind is StepKind.APPROVAL:
        return _decided(wait, arrival, now)
    if step.kind is StepKind.SIGNAL:
        return _completed(wait, arrival.fields["payload"], now)
    assert step.event is not None
    if _fails(step.event, arrival.fields):
        return _failed(
            wait, "EventFailed", f"a {arrival.topic} event matched fails_on", arrival.fields, now
        )
    return _completed(wait, arrival.fields, now)


def _decided(wait: Wait, arrival: Arrival, now: datetime) -> StepCompleted | StepFailed:
    payload = arrival.fields.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    decision = {
        "decision": "approved" if payload.get("decision") == "approve" else "rejected",
        "by": arrival.fields.get("sent_by") or "unknown",
        "comment": payload.get("comment") or "",
        "at": arrival.fields.get("sent_at"),
    }
    if decision["decision"] == "approved":
        return _completed(wait, decision, now)
    why = f"rejected by {decision['by']}" + (
        f": {decision['comment']}" if decision["comment"] else ""
    )
    return _failed(wait, "Rejected", why, decision, now)


def timed_out_decision(step: Step, wait: Wait, now: datetime) -> StepCompleted | StepFailed | None:
    """The default outcome of an approval nobody decided (None: let the step time out)."""
    choice = step.approval.on_timeout if step.approval else "fail"
    if choice == "fail":
        return None
    decision = {
        "decision": "approved" if choice == "approve" else "rejected",
        "by": "timeout",
        "comment": "nobody decided before the step's timeout",
        "at": now.isoformat(),
    }
    if choice == "approve":
        return _completed(wait, decision, now)
    return _failed(wait, "Rejected", "rejected by timeout: nobody decided in time", decision, now)


def refused(wait_request: StepRequested, why: str, now: datetime) -> StepFailed:
    """The failure of a request whose event cannot even be looked up."""
    return StepFailed(
        run_id=wait_request.run_id,
        step=wait_request.step,
        attempt=wait_request.attempt,
        error_type="NoCorrelationValue",
        error_message=why,
        retryable=False,
        failed_at=now,
        worker=WORKER,
    )


def _completed(wait: Wait, output: Any, now: datetime) -> StepCompleted:
    return StepCompleted(
        run_id=wait.run_id,
        step=wait.step,
        attempt=wait.attempt,
        output_json=json.dumps(output, sort_keys=True, ensure_ascii=False),
        completed_at=now,
        worker=WORKER,
    )


def _failed(wait: Wait, kind: str, message: str, details: Any, now: datetime) -> StepFailed:
    return StepFailed(
        run_id=wait.run_id,
        step=wait.step,
        attempt=wait.attempt,
        error_type=kind,
        error_message=message,
        retryable=False,
        details_json=json.dumps(details, sort_keys=True, ensure_ascii=False),
        failed_at=now,
        worker=WORKER,
    )


def _ms(when: datetime) -> int:
    return round(when.timestamp() * 1000)
