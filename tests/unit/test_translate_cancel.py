"""The cancel notice on the wire: a running step of a cancelled (or failed) run gets a
StepCancelRequested on its request topic, keyed and routed like the request it cancels."""

from __future__ import annotations

from datetime import UTC, datetime

from podium import contract as wire
from podium.codec import Codec
from podium.contract import header_value
from podium.coordinator import RunState
from podium.coordinator._handle import Handler
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import cancel_message, from_millis
from podium.coordinator.core import NotifyCancel
from podium.pipelines import Pipeline
from podium.settings import TopicNames
from podium.streams import Outgoing
from tests.unit.test_machine_support import make_pipeline, step

CODEC = Codec()
TOPICS = TopicNames()
NOW = datetime(2024, 5, 1, tzinfo=UTC)
TRACE = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}


def test_the_notice_goes_to_the_step_topic_keyed_by_run_with_trace_and_routing() -> None:
    command = NotifyCancel("r1", "load", 3, "podium.steps.warehouse")
    message = cancel_message(CODEC, command, 1_700_000_000_123, TRACE, reason="user asked")
    assert (message.topic, message.key) == ("podium.steps.warehouse", b"r1")
    notice = CODEC.decode_event(message.value, wire.StepCancelRequested)
    assert notice == wire.StepCancelRequested(
        run_id="r1",
        step="load",
        attempt=3,
        reason="user asked",
        requested_at=from_millis(1_700_000_000_123),
    )
    assert header_value(message.headers, "traceparent") == TRACE["traceparent"]
    assert header_value(message.headers, "podium-run-id") == "r1"
    assert header_value(message.headers, "podium-step") == "load"
    assert header_value(message.headers, "podium-attempt") == "3"


def test_the_reason_is_optional() -> None:
    message = cancel_message(CODEC, NotifyCancel("r1", "a", 1, "t"), 0, {})
    assert CODEC.decode_event(message.value, wire.StepCancelRequested).reason is None
    assert header_value(message.headers, "traceparent") is None


def handle(
    handler: Handler, topic: str, event: wire.PodiumModel, table: dict[str, RunState]
) -> list[Outgoing]:
    headers = [("traceparent", TRACE["traceparent"].encode())]
    return handler.handle(topic, CODEC.encode_event(event), headers, table)


def started(pipeline: Pipeline) -> tuple[Handler, dict[str, RunState]]:
    """A coordinator handler (its clock at 100 s) and its table, run r1 of ``pipeline`` started."""
    handler = Handler(CODEC, TOPICS, lambda name, version: pipeline, TimerIndex(), lambda: 100.0)
    table: dict[str, RunState] = {}
    trigger = wire.Trigger(source=wire.TriggerSource.API)
    start = wire.RunRequested(
        run_id="r1", pipeline=pipeline.name, trigger=trigger, requested_at=NOW
    )
    handle(handler, TOPICS.runs, start, table)
    return handler, table


def test_cancelling_a_run_sends_a_notice_to_each_running_step_only() -> None:
    pipeline = make_pipeline(step("a"), step("b"), step("c", "a"))
    handler, table = started(pipeline)
    done = wire.StepCompleted(run_id="r1", step="b", attempt=1, completed_at=NOW)
    handle(handler, TOPICS.step_results, done, table)
    cancel = wire.RunCancelRequested(run_id="r1", reason="no longer needed", requested_at=NOW)
    out = handle(handler, TOPICS.runs, cancel, table)
    [notice] = [m for m in out if m.topic != TOPICS.run_events]
    assert notice.topic == pipeline.step("a").request_topic and notice.key == b"r1"
    event = CODEC.decode_event(notice.value, wire.StepCancelRequested)
    assert (event.run_id, event.step, event.attempt) == ("r1", "a", 1)
    assert event.reason == "no longer needed"
    assert event.requested_at == from_millis(100_000)
    assert header_value(notice.headers, "traceparent") == TRACE["traceparent"]
    assert "cancel-notices-dropped" not in handler.counters


def test_a_failing_run_tells_its_other_running_steps_to_stop_with_its_reason() -> None:
    pipeline = make_pipeline(step("a"), step("b"))
    handler, table = started(pipeline)
    failed = wire.StepFailed(
        run_id="r1", step="b", attempt=1, error_type="IOError", error_message="disk full",
        retryable=False, failed_at=NOW,
    )  # fmt: skip
    out = handle(handler, TOPICS.step_results, failed, table)
    [notice] = [m for m in out if m.topic == pipeline.step("a").request_topic]
    event = CODEC.decode_event(notice.value, wire.StepCancelRequested)
    assert (event.step, event.attempt) == ("a", 1)
    assert event.reason and "b" in event.reason
