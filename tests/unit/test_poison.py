"""Poison without Kafka: the normalized reason codes, a handler's PoisonMessage, the
coordinator's unknown-run rule, and registry records' reasons."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium import contract as wire
from podium.codec import (
    Codec,
    CorruptMessageError,
    NotAvroFramingError,
    SchemaResolutionError,
    TruncatedMessageError,
    UnknownFingerprintError,
    WrongEventTypeError,
)
from podium.contract import RunStatus, header_value
from podium.coordinator import RunState
from podium.coordinator._handle import Handler, Rejected
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import timer_value
from podium.dlq import dead_letter, reason_of
from podium.dlq._entry import entry_of
from podium.dlq._letter import detail_of
from podium.dlq._reasons import DETAILS, REASONS, canonical_reason
from podium.registry import RecordError
from podium.registry._record import decode_record
from podium.service import NonRetryableError, PoisonMessage, Service, StepContext
from podium.service._execute import execute_step
from podium.service.testing import make_request, run_step
from podium.settings import TopicNames
from podium.triggers import TriggerRejectedError
from tests.unit.test_runs_client import pipeline

# -- one set of reasons -------------------------------------------------------------------------


@given(st.text(max_size=30))
def test_every_code_maps_to_a_documented_reason(code: str) -> None:
    assert canonical_reason(code) in REASONS


def test_the_reason_set_is_the_documented_one() -> None:
    assert set(REASONS) == {
        "decode", "schema", "wrong-type", "validation", "unknown-pipeline", "unknown-run",
        "handler",
    }  # fmt: skip
    assert all(reason in REASONS for reason in DETAILS.values())


@pytest.mark.parametrize(
    ("error", "reason", "detail"),
    [
        (NotAvroFramingError("x"), "decode", "not-avro-framing"),
        (TruncatedMessageError("x"), "decode", "truncated"),
        (CorruptMessageError("x"), "decode", "corrupt-body"),
        (UnknownFingerprintError("00"), "schema", "unknown-fingerprint"),
        (SchemaResolutionError("x", writer="a", reader="b"), "schema", "schema-resolution"),
        (WrongEventTypeError("FileLanded", ["StepRequested"]), "wrong-type", "wrong-event-type"),
        (Rejected("wrong-type", "x"), "wrong-type", "wrong-type"),
        (Rejected("unknown-run", "x"), "unknown-run", "unknown-run"),
        (TriggerRejectedError("p", "x"), "validation", "TriggerRejectedError"),
        (PoisonMessage("x"), "handler", "PoisonMessage"),
        (RuntimeError("x"), "handler", "RuntimeError"),
    ],
)
def test_finer_codes_map_onto_the_set_and_stay_as_the_detail(
    error: BaseException, reason: str, detail: str
) -> None:
    assert (reason_of(error), detail_of(error)) == (reason, detail)


def test_free_text_in_a_reason_attribute_is_not_taken_for_a_code() -> None:
    error = RuntimeError("x")
    error.reason = "expected integer, got string"  # type: ignore[attr-defined]
    assert (reason_of(error), detail_of(error)) == ("handler", "RuntimeError")


@dataclass
class Record:
    topic: str = "podium.steps.load"
    partition: int = 0
    offset: int = 3
    key: bytes | None = b"run-1"
    value: bytes | None = b"payload"
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: int = 1


def test_a_dead_letter_written_before_normalization_reads_as_the_normalized_reason() -> None:
    old = Record("podium.runs.dlq", headers=[("podium-dlq-reason", b"truncated")])
    entry = entry_of(old)
    assert (entry.reason, entry.detail) == ("decode", "truncated")
    legacy_class = entry_of(Record("x.dlq", headers=[("podium-dlq-reason", b"ValueError")]))
    assert (legacy_class.reason, legacy_class.detail) == ("handler", "ValueError")


# -- PoisonMessage in the SDK -------------------------------------------------------------------

service = Service("poisoned")


@service.step("refuse")
async def refuse(input: Any, ctx: StepContext) -> None:
    raise PoisonMessage("order 17 references a deleted customer")


async def test_poison_is_a_non_retryable_failure_that_keeps_the_error_for_the_dlq() -> None:
    request = make_request("refuse", run_id="run-1")
    outcome = await run_step(service, request)
    assert isinstance(outcome.event, wire.StepFailed)
    event = outcome.event
    assert (event.error_type, event.retryable) == ("PoisonMessage", False)
    assert event.error_message == "order 17 references a deleted customer"
    assert isinstance(outcome.poison, PoisonMessage)
    plain = await execute_step(service, request)  # the same result, without the error
    assert isinstance(plain, wire.StepFailed) and plain.error_type == "PoisonMessage"


def test_poison_is_a_non_retryable_error_and_its_dead_letter_says_handler() -> None:
    error = PoisonMessage("order 17 references a deleted customer")
    assert isinstance(error, NonRetryableError) and error.retryable is False
    letter = dead_letter(Record(), error, group="svc", run_keyed=True)
    assert letter.topic == "podium.steps.load.dlq" and letter.value == b"payload"
    assert header_value(letter.headers, "podium-dlq-reason") == "handler"
    assert header_value(letter.headers, "podium-dlq-detail") == "PoisonMessage"
    assert header_value(letter.headers, "podium-dlq-error") == str(error)


async def test_other_failures_are_not_poison() -> None:
    other = Service("other")

    @other.default
    async def fail(input: Any, ctx: StepContext) -> None:
        raise NonRetryableError("bad input")

    outcome = await run_step(other, make_request("x"))
    assert outcome.poison is None and isinstance(outcome.event, wire.StepFailed)


# -- the coordinator: unknown-run -----------------------------------------------------------------

TOPICS = TopicNames()


def _handler() -> Handler:
    return Handler(Codec(), TOPICS, lambda name, version: pipeline(), TimerIndex())


def _encode(event: wire.PodiumModel) -> bytes:
    return Codec().encode_event(event)


def _start(handler: Handler, table: dict[str, RunState], run_id: str = "run-1") -> None:
    event = wire.RunRequested(
        run_id=run_id,
        pipeline="ingest",
        params_json=json.dumps({"uri": "u"}),
        trigger=wire.Trigger(source=wire.TriggerSource.API),
        requested_at=datetime.now(UTC),
    )
    assert handler.handle(TOPICS.runs, _encode(event), [], table)


def _completed(run_id: str) -> bytes:
    event = wire.StepCompleted(run_id=run_id, step="a", attempt=1, completed_at=datetime.now(UTC))
    return _encode(event)


@pytest.mark.parametrize(
    "result",
    [
        _completed("ghost"),
        _encode(
            wire.StepFailed(
                run_id="ghost", step="a", attempt=1, error_type="E", error_message="m",
                retryable=True, failed_at=datetime.now(UTC),
            )
        ),
        _encode(wire.StepHeartbeat(run_id="ghost", step="a", attempt=1, sent_at=datetime.now(UTC))),
    ],
    ids=["completed", "failed", "heartbeat"],
)  # fmt: skip
def test_a_result_for_a_run_with_no_state_is_rejected_as_unknown_run(result: bytes) -> None:
    handler, table = _handler(), dict[str, RunState]()
    _start(handler, table)
    with pytest.raises(Rejected) as caught:
        handler.handle(TOPICS.step_results, result, [], table)
    assert caught.value.reason == "unknown-run" and "ghost" in str(caught.value)
    assert set(table) == {"run-1"}


def test_a_result_for_a_finished_run_is_ignored_and_counted_not_dead_lettered() -> None:
    handler, table = _handler(), dict[str, RunState]()
    _start(handler, table)
    assert handler.handle(TOPICS.step_results, _completed("run-1"), [], table)  # run succeeds
    assert table["run-1"].status is RunStatus.SUCCEEDED
    assert handler.handle(TOPICS.step_results, _completed("run-1"), [], table) == []
    assert handler.counters["ignored:run-finished"] == 1
    assert table["run-1"].status is RunStatus.SUCCEEDED


def test_a_timer_for_an_unknown_run_is_only_counted() -> None:
    handler = _handler()
    assert handler.handle(TOPICS.timers, timer_value("ghost", 1), [], {}) == []
    assert handler.counters["ignored:unknown-run"] == 1


# -- registry records ---------------------------------------------------------------------------


def test_unusable_registry_records_carry_a_reason() -> None:
    with pytest.raises(RecordError) as garbage:
        decode_record(b"p@1", b"\xff not json")
    assert reason_of(garbage.value) == "decode"
    with pytest.raises(RecordError) as newer:
        decode_record(b"p@1", json.dumps({"format": 99}).encode())
    assert reason_of(newer.value) == "schema"
    with pytest.raises(RecordError) as invalid:
        decode_record(b"p@1", json.dumps({"format": 1, "definition": {"name": "p"}}).encode())
    assert reason_of(invalid.value) == "validation"
