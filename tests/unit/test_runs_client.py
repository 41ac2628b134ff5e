"""The run client without Kafka: run ids, trace context, what is produced, cancel checks."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from hypothesis import given
from hypothesis import strategies as st

from podium.codec import Codec
from podium.contract import (
    RunCancelRequested,
    RunRequested,
    RunStatus,
    TriggerSource,
    trace_context,
)
from podium.errors import BrokerError
from podium.pipelines import ParamError, Pipeline
from podium.runs import (
    RunFinishedError,
    RunNotFoundError,
    RunView,
    cancel_run,
    check_cancellable,
    new_traceparent,
    request_run,
    run_id_for,
)
from podium.runs._trace import trace_for_request, valid_traceparent
from podium.settings import TopicNames

NOW = datetime(2025, 1, 1, tzinfo=UTC)
TOPICS = TopicNames(runs="t.runs", run_events="t.events")
CALLER = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
W3C = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


class FakeProducer:
    """Records what would be produced; ``fail`` makes sends fail like a broker outage."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail = fail

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Any = None,
    ) -> None:
        if self.fail:
            raise KafkaTimeoutError()
        self.sent.append({"topic": topic, "value": value, "key": key, "headers": headers})


def pipeline() -> Pipeline:
    return Pipeline.model_validate(
        {
            "name": "ingest",
            "version": 3,
            "params": {
                "uri": {"type": "string", "required": True},
                "threshold": {"type": "integer", "default": 5},
            },
            "steps": [{"name": "a", "service": "work"}],
        }
    )


@pytest.fixture(scope="module")
def codec() -> Codec:
    return Codec()


def test_the_same_idempotency_key_gives_the_same_run_id() -> None:
    assert run_id_for("ingest", "file-1") == run_id_for("ingest", "file-1")
    assert run_id_for("ingest", "file-1") != run_id_for("other", "file-1")
    assert run_id_for("ingest", None) != run_id_for("ingest", None)


async def test_a_request_is_produced_keyed_by_run_id_with_resolved_params_and_trace(
    codec: Codec,
) -> None:
    producer = FakeProducer()
    sent = await request_run(
        producer,
        codec,
        TOPICS,
        pipeline(),
        {"uri": "file:///a.csv"},
        idempotency_key="k1",
        source=TriggerSource.CLI,
        trace={"traceparent": CALLER, "tracestate": "vendor=1"},
        clock=lambda: NOW,
    )
    [record] = producer.sent
    assert record["topic"] == "t.runs" and record["key"] == sent.run_id.encode()
    event = codec.decode_event(record["value"], RunRequested)
    assert event == sent and event.run_id == run_id_for("ingest", "k1")
    assert (event.pipeline, event.pipeline_version) == ("ingest", "3")
    assert json.loads(event.params_json) == {"uri": "file:///a.csv", "threshold": 5}
    assert event.trigger.source is TriggerSource.CLI and event.idempotency_key == "k1"
    assert trace_context(record["headers"]) == {"traceparent": CALLER, "tracestate": "vendor=1"}
    assert ("podium-run-id", sent.run_id.encode()) in record["headers"]


async def test_without_a_caller_trace_a_new_trace_starts(codec: Codec) -> None:
    producer = FakeProducer()
    await request_run(producer, codec, TOPICS, pipeline(), {"uri": "x"})
    assert W3C.match(trace_context(producer.sent[0]["headers"])["traceparent"])


async def test_bad_params_send_nothing_and_name_the_field(codec: Codec) -> None:
    producer = FakeProducer()
    with pytest.raises(ParamError) as caught:
        await request_run(producer, codec, TOPICS, pipeline(), {"uri": "x", "threshold": "hi"})
    assert caught.value.field == "params.threshold" and producer.sent == []


async def test_a_broker_failure_is_a_retryable_podium_error(codec: Codec) -> None:
    with pytest.raises(BrokerError) as caught:
        await request_run(FakeProducer(fail=True), codec, TOPICS, pipeline(), {"uri": "x"})
    assert caught.value.retryable and "t.runs" in str(caught.value)


async def test_cancel_produces_a_cancel_request(codec: Codec) -> None:
    producer = FakeProducer()
    await cancel_run(producer, codec, TOPICS, "r9", reason="stop", requested_by="cli")
    event = codec.decode_event(producer.sent[0]["value"], RunCancelRequested)
    assert (event.run_id, event.reason, event.requested_by) == ("r9", "stop", "cli")
    assert producer.sent[0]["key"] == b"r9"


def test_only_an_unfinished_known_run_can_be_cancelled() -> None:
    with pytest.raises(RunNotFoundError):
        check_cancellable(None, "nope")
    done = RunView("r1", "ingest", 1, RunStatus.SUCCEEDED)
    with pytest.raises(RunFinishedError, match="SUCCEEDED"):
        check_cancellable(done, "r1")
    running = RunView("r1", "ingest", 1, RunStatus.RUNNING)
    assert check_cancellable(running, "r1") is running


@given(st.text(max_size=80))
def test_any_incoming_trace_gives_a_valid_traceparent(text: str) -> None:
    assert valid_traceparent(trace_for_request({"traceparent": text})["traceparent"])


def test_traceparent_validation() -> None:
    assert valid_traceparent(CALLER) and W3C.match(new_traceparent())
    assert not valid_traceparent("00-" + "0" * 32 + "-00f067aa0ba902b7-01")
    assert not valid_traceparent("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert trace_for_request({"traceparent": "junk", "baggage": "a=1"})["baggage"] == "a=1"
    assert "tracestate" not in trace_for_request({"traceparent": "junk", "tracestate": "x=1"})
