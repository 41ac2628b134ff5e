"""The runner's cheaper per-request path keeps its promises: results encoded from records
are the events' own bytes, the trace still reaches the handler without an OpenTelemetry
SDK, and a cancel notice stops a handler running in its request's own task."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka.structs import TopicPartition
from opentelemetry import propagate, trace

from podium.codec import Codec
from podium.contract import StepCompleted, StepFailed
from podium.service import Service, ServiceRunner, StepContext
from podium.service._execute import run_result
from podium.service._results import completed, completed_record, failed, failed_record, failure_of
from podium.service._tracing import _no_sdk
from podium.service.testing import make_cancel, make_request, run_step
from podium.streams.testing import MemoryBroker, MemoryTransport

CODEC = Codec()
TP = TopicPartition("podium.steps.hot", 0)
TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def test_a_completed_record_encodes_to_the_events_own_bytes() -> None:
    request = make_request("s", run_id="run-1", attempt=3)
    record = completed_record(request, '{"a": 1}', started_at=NOW, now=NOW, worker="w/1")
    event = completed(request, '{"a": 1}', started_at=NOW, now=NOW, worker="w/1")
    assert CODEC.encode_trusted(StepCompleted, record) == CODEC.encode_event(event)


def test_a_failed_record_encodes_to_the_events_own_bytes() -> None:
    request = make_request("s", run_id="run-1")
    failure = failure_of(ValueError("bad"))
    record = failed_record(request, failure, now=NOW, worker=None)
    event = failed(request, failure, now=NOW, worker=None)
    assert CODEC.encode_trusted(StepFailed, record) == CODEC.encode_event(event)


async def test_run_step_gives_the_validated_event_of_the_runners_record() -> None:
    service = Service("hot")

    @service.default
    async def handler(input: Any, ctx: StepContext) -> dict[str, int]:
        return {"n": 1}

    request = make_request("s", run_id="run-2")
    result = await run_result(service, request, worker="w")
    outcome = await run_step(service, request, worker="w")
    assert result.schema is StepCompleted and result.record["output_json"] == '{"n": 1}'
    event = result.event()
    assert isinstance(outcome.event, StepCompleted) and isinstance(event, StepCompleted)
    assert outcome.event.output_json == event.output_json == '{"n": 1}'


async def test_without_an_sdk_the_handler_propagates_the_requests_trace() -> None:
    assert _no_sdk(), "this test needs the API's default (no SDK provider set)"
    service = Service("hot")
    injected: list[dict[str, str]] = []

    @service.default
    async def handler(input: Any, ctx: StepContext) -> None:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)  # what a handler calling another service does
        injected.append(carrier)

    await run_step(service, make_request("s"), [("traceparent", TRACEPARENT)])
    assert injected == [{"traceparent": TRACEPARENT.decode()}]
    assert not trace.get_current_span().get_span_context().is_valid  # detached afterwards


# -- the runner, on the in-memory Kafka -------------------------------------------------


class _Kafka:
    """The in-memory broker a runner serves, seen as the test needs it."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.broker = MemoryBroker({service.request_topic: 1, service.results_topic: 1})

    def put(self, *values: bytes) -> None:
        for value in values:
            self.broker.produce(TP.topic, value, b"k", [("traceparent", TRACEPARENT)])

    @property
    def sent(self) -> list[tuple[bytes | None, bytes | None, Sequence[tuple[str, bytes]]]]:
        return self.broker.messages(self.service.results_topic)

    @property
    def commits(self) -> list[dict[TopicPartition, int]]:
        return [offsets for group, offsets in self.broker.commits if group == "podium-service-hot"]


async def _until(condition: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting: {what}"
        await asyncio.sleep(0.005)


def _runner(service: Service) -> tuple[ServiceRunner, _Kafka]:
    kafka = _Kafka(service)
    return ServiceRunner(service, MemoryTransport(kafka.broker), CODEC), kafka


def _slow_service(grace_s: float) -> tuple[Service, dict[str, bool]]:
    service = Service("hot", grace_s=grace_s)
    seen = {"started": False, "cancelled": False}

    @service.step("slow")
    async def slow(input: Any, ctx: StepContext) -> None:
        seen["started"] = True
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen["cancelled"] = True
            raise

    @service.step("fast")
    async def fast(input: Any, ctx: StepContext) -> dict[str, bool]:
        return {"ok": True}

    return service, seen


async def _serving(runner: ServiceRunner, stop: asyncio.Event) -> asyncio.Task[None]:
    return asyncio.create_task(runner.run(stop))


async def test_a_cancel_notice_stops_its_handler_sends_nothing_and_commits_it() -> None:
    service, seen = _slow_service(grace_s=5)
    runner, kafka = _runner(service)
    stop = asyncio.Event()
    serving = await _serving(runner, stop)
    slow = make_request("slow", run_id="run-slow")
    kafka.put(CODEC.encode_event(slow), CODEC.encode_event(make_request("fast", run_id="f")))
    await _until(lambda: seen["started"] and len(kafka.sent) == 1, "slow runs, fast sent")
    kafka.put(CODEC.encode_event(make_cancel(slow)))
    await _until(lambda: runner.stats.cancelled == 1, "the notice stops the slow handler")
    stop.set()
    await asyncio.wait_for(serving, timeout=5)
    assert seen["cancelled"] and runner.stats.completed == 1
    [(key, value, headers)] = kafka.sent  # nothing for the cancelled attempt
    assert key == b"f" and value is not None
    assert CODEC.decode_event(value, StepCompleted).output_json == '{"ok": true}'
    assert headers[0] == ("traceparent", TRACEPARENT)
    assert kafka.commits[-1] == {TP: 3}  # both requests and the notice are done


async def test_a_handler_outlasting_the_grace_is_cancelled_and_left_uncommitted() -> None:
    service, seen = _slow_service(grace_s=0)
    runner, kafka = _runner(service)
    stop = asyncio.Event()
    serving = await _serving(runner, stop)
    kafka.put(CODEC.encode_event(make_request("slow", run_id="run-slow")))
    await _until(lambda: seen["started"], "the slow handler runs")
    stop.set()
    await asyncio.wait_for(serving, timeout=5)
    assert seen["cancelled"] and runner.stats.cancelled == 0  # a stop is not a notice
    assert kafka.sent == [] and runner.tracker.committable() == {}
    assert all(position.get(TP, 0) == 0 for position in kafka.commits)
