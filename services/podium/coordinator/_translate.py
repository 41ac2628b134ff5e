"""Between the wire and the state machine: Avro events in, messages out. Pure.

The adapter decodes a Kafka message with the codec and hands the typed event
here; the machine's commands come back as :class:`Outgoing` messages (topic,
key, value, headers) for the adapter to produce. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from podium import contract as wire
from podium._json_limits import read_json
from podium._speedups.json_text import json_text, json_text_or_str
from podium.codec import Codec
from podium.contract import encode_headers, routing_headers
from podium.coordinator._budget import capped_error
from podium.coordinator.core._commands import (
    CancelChildRun,
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    SendStepResult,
    StartChildRun,
    WriteMapPage,
)
from podium.coordinator.core._inputs import (
    Admitted,
    CancelRun,
    Event,
    PauseRun,
    ResumeRun,
    RetryRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.pipelines import RateLimit
from podium.streams import Outgoing


def from_millis(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def to_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def step_input(event: wire.PodiumModel) -> Event:
    """The machine's event for a step result (StepCompleted / StepFailed / StepHeartbeat)."""
    if isinstance(event, wire.StepCompleted):
        return StepSucceeded(event.run_id, event.step, event.attempt, read_json(event.output_json))
    if isinstance(event, wire.StepFailed):
        return StepFailedEvent(
            event.run_id,
            event.step,
            event.attempt,
            event.error_type,
            capped_error(event.error_message),  # kept in the state: its size is ours to bound
            event.retryable,
            event.retry_after_ms,
        )
    if isinstance(event, wire.StepHeartbeat):
        return StepHeartbeatEvent(event.run_id, event.step, event.attempt, event.extend_ms)
    raise TypeError(f"not a step result: {type(event).__name__}")


def cancel_input(event: wire.RunCancelRequested) -> CancelRun:
    return CancelRun(event.run_id, event.reason or "cancelled")


def control_input(event: wire.RunControlRequested) -> RetryRun | PauseRun | ResumeRun:
    """The machine's event for a re-run, pause or resume; ValueError for an action this
    coordinator does not know (``UNKNOWN``: a newer writer's symbol)."""
    by, reason = event.requested_by or "", event.reason or ""
    at_ms = to_millis(event.requested_at)
    action = event.action
    if action is wire.RunControlAction.RETRY:
        return RetryRun(event.run_id, event.from_step, by, reason, at_ms)
    if action is wire.RunControlAction.PAUSE:
        return PauseRun(event.run_id, by, reason, at_ms)
    if action is wire.RunControlAction.RESUME:
        return ResumeRun(event.run_id, by, reason, at_ms)
    raise ValueError(f"run {event.run_id}: unknown control action {action.value!r}")


def timer_value(run_id: str, due_ms: int) -> bytes:
    """The coordinator's own timer message (internal topic, JSON)."""
    return json.dumps({"run_id": run_id, "due_ms": due_ms}).encode()


def admitted_value(run_id: str) -> bytes:
    """The admission side's answer to a queued run, sent on the timers topic (keyed by run
    id, so it reaches the partition that owns the run, like a timer does)."""
    return json.dumps({"kind": "admitted", "run_id": run_id}).encode()


def timer_input(value: bytes | None) -> TimerFired | Admitted:
    """Parse a message of the internal timers topic: a timer (``kind`` "timer" or absent)
    or an admission (``kind`` "admitted"); ValueError when it is neither."""
    data = read_json(value or b"")
    if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
        raise ValueError("a timer message is a JSON object with a string run_id")
    kind = data.get("kind", "timer")
    if kind == "admitted":
        return Admitted(data["run_id"])
    if kind != "timer":
        raise ValueError(f"a timer message's kind is 'timer' or 'admitted', not {kind!r}")
    return TimerFired(data["run_id"])


def admission_message(
    topic: str,
    command: RequestAdmission | ReleaseAdmission,
    limit: int | None,
    rate: RateLimit | None = None,
) -> Outgoing:
    """An enqueue or release for the admissions topic, keyed by pipeline name (internal, JSON:
    see ``_admission_handle``). ``limit`` is the run's pinned ``max_active_runs`` (absent when
    None), ``rate`` its ``rate_limit``; an enqueue carries the run's ``priority`` when it is
    not 0."""
    kind = "enqueue" if isinstance(command, RequestAdmission) else "release"
    value: dict[str, object] = {"kind": kind, "run_id": command.run_id}
    value["pipeline"] = command.pipeline
    if limit is not None:
        value["limit"] = limit
    if rate is not None:
        value["rate"] = {"runs_per_second": rate.runs_per_second, "burst": rate.burst}
    if isinstance(command, RequestAdmission) and command.priority:
        value["priority"] = command.priority
    return Outgoing(
        topic,
        command.pipeline.encode(),
        json.dumps(value).encode(),
        routing_headers(command.run_id),
    )


def request_message(
    codec: Codec, command: RequestStep, pipeline: str, version: int, now_ms: int
) -> Outgoing:
    """StepRequested for the step's service, carrying the run's trace headers."""
    record = {
        "run_id": command.run_id,
        "step": command.step,
        "attempt": command.attempt,
        "pipeline": pipeline,
        "pipeline_version": str(version),
        "input_json": json_text(command.input),
        "params_json": json_text(command.params),
        "compensate": command.step.startswith(wire.COMPENSATION_PREFIX),
        "deadline": command.deadline_ms,  # timestamp-millis: the int is the wire value
        "requested_at": now_ms,
    }
    headers = encode_headers(command.trace) + routing_headers(
        command.run_id, command.step, command.attempt
    )
    value = codec.encode_trusted(wire.StepRequested, record)
    return Outgoing(command.topic, command.run_id.encode(), value, headers)


def cancel_message(
    codec: Codec,
    command: NotifyCancel,
    now_ms: int,
    trace: Mapping[str, str],
    reason: str | None = None,
) -> Outgoing:
    """StepCancelRequested on the step's request topic, keyed by run id like the request it
    cancels: same partition, so the service always reads it after that request."""
    event = wire.StepCancelRequested(
        run_id=command.run_id,
        step=command.step,
        attempt=command.attempt,
        reason=reason,
        requested_at=from_millis(now_ms),
    )
    headers = encode_headers(trace) + routing_headers(command.run_id, command.step, command.attempt)
    return Outgoing(command.topic, command.run_id.encode(), codec.encode_event(event), headers)


def child_run_message(
    codec: Codec, command: StartChildRun, topic: str, now_ms: int, trace: Mapping[str, str]
) -> Outgoing:
    """RunRequested for a ``kind: pipeline`` step's child, keyed by the child's run id, with
    the parent's trace headers (the child's spans join the parent's trace)."""
    event = wire.RunRequested(
        run_id=command.child_run_id,
        pipeline=command.pipeline,
        pipeline_version=None if command.version is None else str(command.version),
        params_json=json_text(command.params),
        trigger=wire.Trigger.model_validate(command.parent.trigger()),
        requested_at=from_millis(now_ms),
    )
    headers = encode_headers(trace) + routing_headers(command.child_run_id)
    return Outgoing(topic, command.child_run_id.encode(), codec.encode_event(event), headers)


def child_cancel_message(
    codec: Codec, command: CancelChildRun, topic: str, now_ms: int, trace: Mapping[str, str]
) -> Outgoing:
    """RunCancelRequested for a child run its parent no longer needs."""
    event = wire.RunCancelRequested(
        run_id=command.child_run_id,
        reason=command.reason,
        requested_by=CHILD_WORKER,
        requested_at=from_millis(now_ms),
    )
    headers = encode_headers(trace) + routing_headers(command.child_run_id)
    return Outgoing(topic, command.child_run_id.encode(), codec.encode_event(event), headers)


CHILD_WORKER = "podium-coordinator"
"""The ``worker`` of the step results the coordinator sends itself (a child run's answer)."""


def step_result_message(
    codec: Codec, command: SendStepResult, topic: str, now_ms: int, trace: Mapping[str, str]
) -> Outgoing:
    """StepCompleted (or StepFailed, when the command carries an error) on the step results
    topic, keyed by the run it answers, as a service's result would be."""
    at = from_millis(now_ms)
    event: wire.PodiumModel
    if command.error is None:
        event = wire.StepCompleted(
            run_id=command.run_id,
            step=command.step,
            attempt=command.attempt,
            output_json=json_text(command.output),
            completed_at=at,
            worker=CHILD_WORKER,
        )
    else:
        event = wire.StepFailed(
            run_id=command.run_id,
            step=command.step,
            attempt=command.attempt,
            error_type=command.error.error_type,
            error_message=command.error.error_message,
            retryable=command.error.retryable,
            failed_at=at,
            worker=CHILD_WORKER,
        )
    headers = encode_headers(trace) + routing_headers(command.run_id, command.step, command.attempt)
    return Outgoing(topic, command.run_id.encode(), codec.encode_event(event), headers)


def map_page_message(command: WriteMapPage, topic: str) -> Outgoing:
    """One page of a map step's outputs (JSON) on the compacted map pages topic, keyed by
    ``<run>/<step>/<try>/<page>``."""
    value = {
        "run_id": command.run_id,
        "step": command.step,
        "page": command.page,
        "outputs": [list(entry) for entry in command.outputs],
    }
    headers = routing_headers(command.run_id, command.step)
    return Outgoing(topic, command.key.encode(), json_text(value).encode(), headers)


def run_event_message(
    codec: Codec,
    command: EmitRunEvent,
    topic: str,
    pipeline: str,
    version: int,
    trace: Mapping[str, str],
) -> Outgoing:
    """RunStatusChanged for one transition (run-level or step-level)."""
    detail = command.detail
    record = {
        "run_id": command.run_id,
        "pipeline": pipeline,
        "pipeline_version": str(version),
        "status": command.run_status,  # a StrEnum: the Avro symbol itself
        "previous_status": None,
        "reason": _text(detail.get("reason")),
        "step": command.step,
        "step_status": command.step_status,
        "attempt": command.attempt,
        "error": _error(detail.get("error")),
        "output_json": json_text(detail["output"]) if "output" in detail else None,
        "detail_json": json_text_or_str(detail),
        "changed_at": command.at_ms,  # timestamp-millis: the int is the wire value
    }
    headers = encode_headers(trace) + routing_headers(command.run_id, command.step, command.attempt)
    value = codec.encode_trusted(wire.RunStatusChanged, record)
    return Outgoing(topic, command.run_id.encode(), value, headers)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _error(value: Any) -> dict[str, Any] | None:
    """A StepError record from the machine's error detail, or None."""
    if not isinstance(value, Mapping):
        return None
    return {
        "error_type": str(value.get("error_type", "Error")),
        "error_message": str(value.get("error_message", "")),
        "retryable": bool(value.get("retryable", False)),
    }
