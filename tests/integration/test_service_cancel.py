"""Cancel notices (StepCancelRequested) against a real broker: the running handler is cancelled,
sends no result, and its offset is committed, so a restarted service has nothing to redo."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition

from podium.contract import StepCancelRequested, StepCompleted, StepRequested
from podium.service import Service, StepContext
from podium.service.testing import make_cancel, make_request
from podium.testing import wait_until
from tests.integration.test_service import ServiceKafka, kafka, running

__all__ = ["kafka"]  # the fixture, shared with test_service.py


class Recorder:
    """A service whose handler waits for ``release`` and records what happens to each call."""

    def __init__(self) -> None:
        self.service = Service("cancellable")
        self.release = asyncio.Event()
        self.seen: list[str] = []
        self.service.default(self.handle)

    async def handle(self, input: Any, ctx: StepContext) -> dict[str, Any]:
        self.seen.append(f"started {ctx.step}#{ctx.attempt}")
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.seen.append(f"cancelled {ctx.step}#{ctx.attempt}")
            raise
        return {"attempt": ctx.attempt}

    async def until_seen(self, *lines: str) -> None:
        async def all_seen() -> bool:
            return all(line in self.seen for line in lines)

        await wait_until(all_seen, timeout=30, what=f"the handler to record {lines}")


async def send(kafka: ServiceKafka, *events: StepRequested | StepCancelRequested) -> None:
    """Produce ``events`` to the request topic, keyed by run id as the coordinator does."""
    producer = AIOKafkaProducer(**kafka.kwargs())
    await producer.start()
    try:
        for event in events:
            value = kafka.codec.encode_event(event)
            await producer.send_and_wait(kafka.request_topic, value, key=event.run_id.encode())
    finally:
        await producer.stop()


async def end_offset(kafka: ServiceKafka, topic: str) -> int:
    """How many records ``topic`` (one partition) holds."""
    consumer = AIOKafkaConsumer(**kafka.kwargs())
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        offsets: dict[TopicPartition, int] = await consumer.end_offsets([partition])
        return offsets[partition]
    finally:
        await consumer.stop()


async def committed_is(kafka: ServiceKafka, offset: int) -> None:
    async def reached() -> bool:
        return await kafka.committed() == offset

    await wait_until(reached, timeout=30, what=f"the group to commit offset {offset}")


async def test_a_cancel_notice_stops_its_handler_with_no_result_and_commits_it(
    kafka: ServiceKafka,
) -> None:
    recorder = Recorder()
    first = make_request("load", attempt=1)
    second = first.model_copy(update={"attempt": 2})  # same run and step, another attempt
    async with running(kafka.service(recorder.service), kafka) as runner:
        await send(kafka, first, second)
        await recorder.until_seen("started load#1", "started load#2")
        await send(kafka, make_cancel(first))
        await recorder.until_seen("cancelled load#1")
        await committed_is(kafka, 1)  # attempt 1 done; attempt 2 (offset 1) still running
        recorder.release.set()
        [result] = await kafka.results(1)
        await committed_is(kafka, 3)  # both requests and the notice
    assert isinstance(result.event, StepCompleted) and result.event.output() == {"attempt": 2}
    assert await end_offset(kafka, kafka.results_topic) == 1  # nothing for the cancelled one
    assert "cancelled load#2" not in recorder.seen
    assert (runner.stats.cancelled, runner.stats.completed, runner.stats.failed) == (1, 1, 0)

    restarted = Recorder()
    restarted.release.set()
    marker = make_request("marker")
    async with running(kafka.service(restarted.service), kafka):  # same consumer group
        await send(kafka, marker)
        await restarted.until_seen("started marker#1")
        await committed_is(kafka, 4)
    assert restarted.seen == ["started marker#1"]  # nothing redone


async def test_a_request_redelivered_after_its_cancel_is_skipped(kafka: ServiceKafka) -> None:
    recorder = Recorder()
    recorder.release.set()
    cancelled = make_request("load")
    other = make_request("load")
    async with running(kafka.service(recorder.service), kafka) as runner:
        await send(kafka, make_cancel(cancelled), cancelled, other)
        [result] = await kafka.results(1)
        await committed_is(kafka, 3)
    assert isinstance(result.event, StepCompleted) and result.event.run_id == other.run_id
    assert recorder.seen == ["started load#1"]  # only the other run's request ran
    assert await end_offset(kafka, kafka.results_topic) == 1
    assert runner.stats.skipped == 1
