"""The coordinator's hot-path messages (StepRequested, RunStatusChanged) are built as plain
records and encoded without validation: they must decode to exactly the typed event the
reader expects, every field included, and a record Avro cannot write must still fail."""

from __future__ import annotations

import json

import pytest

from podium import contract as wire
from podium.codec import Codec, EncodeError
from podium.contract import RunStatus, StepStatus, header_value
from podium.coordinator._translate import from_millis, request_message, run_event_message
from podium.coordinator.core._commands import EmitRunEvent, RequestStep

CODEC = Codec()
AT_MS = 1_700_000_000_123
TRACE = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


def test_a_step_request_decodes_to_the_event_with_every_field() -> None:
    command = RequestStep(
        "r1", "compensate:load", 2, "podium.steps.warehouse", AT_MS + 30_000,
        {"input": {"table": "t"}}, {"day": "2024-05-01"}, TRACE,
    )  # fmt: skip
    message = request_message(CODEC, command, "nightly", 3, AT_MS)
    assert CODEC.decode_event(message.value, wire.StepRequested) == wire.StepRequested(
        run_id="r1",
        step="compensate:load",
        attempt=2,
        pipeline="nightly",
        pipeline_version="3",
        input_json='{"input": {"table": "t"}}',
        params_json='{"day": "2024-05-01"}',
        compensate=True,
        deadline=from_millis(AT_MS + 30_000),
        requested_at=from_millis(AT_MS),
    )
    assert (message.topic, message.key) == ("podium.steps.warehouse", b"r1")
    assert header_value(message.headers, "traceparent") == TRACE["traceparent"]


def test_a_failed_step_event_carries_its_error_and_detail() -> None:
    error = {"error_type": "Timeout", "error_message": "no answer", "retryable": True}
    detail = {"error": error, "retry_at_ms": AT_MS + 500}
    command = EmitRunEvent("r1", RunStatus.RUNNING, "load", StepStatus.RETRY_WAIT, 2, detail, AT_MS)
    message = run_event_message(CODEC, command, "podium.run.events", "nightly", 3, TRACE)
    assert CODEC.decode_event(message.value, wire.RunStatusChanged) == wire.RunStatusChanged(
        run_id="r1",
        pipeline="nightly",
        pipeline_version="3",
        status=wire.RunStatus.RUNNING,
        step="load",
        step_status=wire.StepStatus.RETRY_WAIT,
        attempt=2,
        error=wire.StepError(error_type="Timeout", error_message="no answer", retryable=True),
        detail_json=json.dumps(detail),
        changed_at=from_millis(AT_MS),
    )  # fmt: skip
    assert header_value(message.headers, "podium-step") == "load"


def test_a_run_level_event_has_no_step_and_carries_output_and_reason() -> None:
    detail = {"reason": "cancelled by ops", "output": {"rows": 3}}
    command = EmitRunEvent("r1", RunStatus.CANCELLED, None, None, None, detail, AT_MS)
    event = CODEC.decode_event(
        run_event_message(CODEC, command, "t", "nightly", 3, {}).value, wire.RunStatusChanged
    )
    assert (event.status, event.step, event.step_status, event.attempt, event.error) == (
        wire.RunStatus.CANCELLED, None, None, None, None,
    )  # fmt: skip
    assert (event.reason, event.output_json) == ("cancelled by ops", '{"rows": 3}')


def test_a_trusted_record_that_avro_cannot_write_still_fails_loudly() -> None:
    with pytest.raises(EncodeError, match="RunStatusChanged"):
        CODEC.encode_trusted(wire.RunStatusChanged, {"run_id": "r1"})
