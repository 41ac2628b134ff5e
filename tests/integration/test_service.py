"""The step-service SDK against a real broker: results, failures, heartbeats, duplicates, DLQ.

Every test gets its own random request, DLQ and results topics and consumer group.
``ServiceKafka`` is also used by test_service_shutdown.py and test_examples.py.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import TopicPartition

from podium.codec import Codec
from podium.contract import (
    PodiumModel,
    StepCompleted,
    StepFailed,
    StepHeartbeat,
    StepRequested,
    header_value,
)
from podium.service import NonRetryableError, Service, ServiceRunner, StepContext
from podium.service.testing import make_request
from podium.settings import KafkaSettings, PodiumSettings, TopicNames
from podium.streams import KafkaTransport
from podium.testing import random_topic_name, wait_until

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
TRACE = [("traceparent", TRACEPARENT), ("tracestate", b"vendor=1"), ("baggage", b"user=ann")]


@dataclass
class Result:
    event: PodiumModel
    key: bytes | None
    headers: list[tuple[str, bytes]]


@dataclass
class ServiceKafka:
    """Random topics for one service, a producer of requests and a reader of results."""

    bootstrap: str
    name: str = field(default_factory=lambda: random_topic_name("svc"))
    codec: Codec = field(default_factory=Codec)

    @property
    def request_topic(self) -> str:
        return f"{self.name}.requests"

    @property
    def results_topic(self) -> str:
        return f"{self.name}.results"

    @property
    def group(self) -> str:
        return f"{self.name}.group"

    @property
    def topics(self) -> list[str]:
        return [self.request_topic, f"{self.request_topic}.dlq", self.results_topic]

    def service(self, service: Service, **changes: Any) -> Service:
        return service.replace(
            request_topic=self.request_topic,
            results_topic=self.results_topic,
            group_id=self.group,
            **changes,
        )

    def kwargs(self) -> dict[str, Any]:
        return {"bootstrap_servers": self.bootstrap}

    async def create_topics(self) -> None:
        admin = AIOKafkaAdminClient(**self.kwargs())
        await admin.start()
        try:
            await admin.create_topics([NewTopic(t, 1, 1) for t in self.topics])
        finally:
            await admin.close()

    async def delete_topics(self) -> None:
        admin = AIOKafkaAdminClient(**self.kwargs())
        await admin.start()
        try:
            await admin.delete_topics(self.topics)
        finally:
            await admin.close()

    async def send(
        self, value: StepRequested | bytes, headers: list[tuple[str, bytes]] | None = None
    ) -> None:
        data = value if isinstance(value, bytes) else self.codec.encode_event(value)
        key = None if isinstance(value, bytes) else value.run_id.encode()
        producer = AIOKafkaProducer(**self.kwargs())
        await producer.start()
        try:
            await producer.send_and_wait(self.request_topic, data, key=key, headers=headers or [])
        finally:
            await producer.stop()

    async def read(self, topic: str, count: int, timeout: float = 30.0) -> list[Any]:
        """The first ``count`` records of ``topic`` (fails if fewer arrive in time)."""
        consumer = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **self.kwargs())
        await consumer.start()
        records: list[Any] = []
        try:

            async def enough() -> bool:
                batch = await consumer.getmany(timeout_ms=200)
                records.extend(r for rs in batch.values() for r in rs)
                return len(records) >= count

            await wait_until(enough, timeout=timeout, what=f"{count} records on {topic}")
        finally:
            await consumer.stop()
        return records

    async def results(self, count: int, timeout: float = 30.0) -> list[Result]:
        records = await self.read(self.results_topic, count, timeout)
        return [Result(self.codec.decode_event(r.value), r.key, list(r.headers)) for r in records]

    async def committed(self, topic: str | None = None) -> int | None:
        """The group's committed offset on partition 0 of the request topic."""
        consumer = AIOKafkaConsumer(group_id=self.group, **self.kwargs())
        await consumer.start()
        try:
            offset: int | None = await consumer.committed(
                TopicPartition(topic or self.request_topic, 0)
            )
            return offset
        finally:
            await consumer.stop()


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[ServiceKafka]:
    helper = ServiceKafka(kafka_bootstrap)
    await helper.create_topics()
    yield helper
    await helper.delete_topics()


@contextlib.asynccontextmanager
async def running(service: Service, kafka: ServiceKafka) -> AsyncIterator[ServiceRunner]:
    """``service`` served in the background; stopped (drained, committed) on exit."""
    runner = ServiceRunner(service, KafkaTransport(kafka.kwargs()), kafka.codec)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        yield runner
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


def demo_service() -> Service:
    service = Service("demo")

    @service.step("double")
    async def double(input: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
        return {"doubled": input["n"] * 2, "trace": dict(ctx.trace), "uri": ctx.params["uri"]}

    @service.step("flaky")
    async def flaky(input: Any, ctx: StepContext) -> None:
        raise ConnectionError("warehouse unreachable")

    @service.step("broken")
    async def broken(input: Any, ctx: StepContext) -> None:
        raise NonRetryableError("column amount missing", details={"column": "amount"})

    @service.step("long")
    async def long(input: Any, ctx: StepContext) -> str:
        await ctx.heartbeat({"done": 50}, extend=90)
        return "done"

    return service


async def test_a_request_completes_with_its_output_trace_and_routing_headers(
    kafka: ServiceKafka,
) -> None:
    request = make_request("double", {"n": 21}, params={"uri": "file:///x.csv"}, attempt=2)
    async with running(kafka.service(demo_service()), kafka):
        await kafka.send(request, TRACE)
        [result] = await kafka.results(1)
    assert isinstance(result.event, StepCompleted)
    assert result.event.output() == {
        "doubled": 42,
        "trace": {k: v.decode() for k, v in TRACE},
        "uri": "file:///x.csv",
    }
    assert (result.event.run_id, result.event.step, result.event.attempt) == (
        request.run_id,
        "double",
        2,
    )
    assert result.key == request.run_id.encode()
    assert result.headers[:3] == TRACE
    assert header_value(result.headers, "podium-run-id") == request.run_id
    assert header_value(result.headers, "podium-step") == "double"
    assert header_value(result.headers, "podium-attempt") == "2"
    assert await kafka.committed() == 1


async def test_raising_fails_the_step_retryable_unless_non_retryable(kafka: ServiceKafka) -> None:
    async with running(kafka.service(demo_service()), kafka):
        await kafka.send(make_request("flaky"), TRACE)
        await kafka.send(make_request("broken"), TRACE)
        flaky, broken = (r.event for r in await kafka.results(2))
    assert isinstance(flaky, StepFailed) and isinstance(broken, StepFailed)
    assert (flaky.error_type, flaky.error_message, flaky.retryable) == (
        "ConnectionError",
        "warehouse unreachable",
        True,
    )
    assert (broken.error_type, broken.retryable, broken.details_json) == (
        "NonRetryableError",
        False,
        '{"column": "amount"}',
    )


async def test_heartbeat_emits_a_step_heartbeat_before_the_result(kafka: ServiceKafka) -> None:
    request = make_request("long")
    async with running(kafka.service(demo_service()), kafka):
        await kafka.send(request, TRACE)
        beat, done = await kafka.results(2)
    assert isinstance(beat.event, StepHeartbeat) and isinstance(done.event, StepCompleted)
    assert (beat.event.run_id, beat.event.step, beat.event.extend_ms) == (
        request.run_id,
        "long",
        90_000,
    )
    assert beat.event.progress_json == '{"done": 50}'
    assert beat.headers[:3] == TRACE and beat.key == request.run_id.encode()


async def test_a_duplicate_request_in_flight_runs_once(kafka: ServiceKafka) -> None:
    service = Service("dup")
    release = asyncio.Event()
    calls: list[str] = []

    @service.default
    async def slow(input: Any, ctx: StepContext) -> int:
        calls.append(ctx.run_id)
        await release.wait()
        return len(calls)

    request = make_request("slow")
    async with running(kafka.service(service), kafka) as runner:
        await kafka.send(request)
        await kafka.send(request)

        async def duplicate_seen() -> bool:
            return runner.stats.duplicates == 1

        await wait_until(duplicate_seen, timeout=30, what="the duplicate reached the service")
        assert await kafka.committed() is None  # nothing is done yet
        release.set()
        [result] = await kafka.results(1)

        async def both_committed() -> bool:
            return await kafka.committed() == 2

        await wait_until(both_committed, timeout=30, what="both offsets committed")
    assert calls == [request.run_id]
    assert isinstance(result.event, StepCompleted) and result.event.output() == 1
    assert len(await kafka.read(kafka.results_topic, 1)) == 1


async def test_undecodable_bytes_go_to_the_dlq_and_the_service_keeps_serving(
    kafka: ServiceKafka,
) -> None:
    request = make_request("double", {"n": 1}, params={"uri": "u"})
    async with running(kafka.service(demo_service()), kafka) as runner:
        await kafka.send(b"\x00garbage", [("traceparent", TRACEPARENT)])
        await kafka.send(request)
        [result] = await kafka.results(1)
        [letter] = await kafka.read(f"{kafka.request_topic}.dlq", 1)

        async def committed_past_both() -> bool:
            return await kafka.committed() == 2

        await wait_until(committed_past_both, timeout=30, what="both offsets committed")
    assert isinstance(result.event, StepCompleted) and result.event.output()["doubled"] == 2
    assert runner.stats.dead_lettered == 1
    assert letter.value == b"\x00garbage"
    headers = list(letter.headers)
    assert headers[0] == ("traceparent", TRACEPARENT)
    assert header_value(headers, "podium-dlq-reason") == "decode"
    assert header_value(headers, "podium-dlq-detail") == "not-avro-framing"
    assert header_value(headers, "podium-dlq-error")
    assert header_value(headers, "podium-dlq-original-topic") == kafka.request_topic
    assert header_value(headers, "podium-dlq-original-offset") == "0"


async def test_run_takes_settings_for_the_cluster_and_what_the_service_left_open(
    kafka: ServiceKafka,
) -> None:
    """``Service.run(settings)``: the cluster comes from the settings (not a kwargs dict),
    and so does the results topic when the service did not choose one."""
    service = demo_service().replace(request_topic=kafka.request_topic, group_id=kafka.group)
    settings = PodiumSettings(
        kafka=KafkaSettings(bootstrap_servers=kafka.bootstrap),
        topics=TopicNames(step_results=kafka.results_topic),
    )
    stop = asyncio.Event()
    serving = asyncio.create_task(service.run(settings, stop=stop))
    try:
        request = make_request("double", {"n": 4}, params={"uri": "file:///y.csv"})
        await kafka.send(request)
        [result] = await kafka.results(1)
    finally:
        stop.set()
        await asyncio.wait_for(serving, timeout=60)
    assert isinstance(result.event, StepCompleted) and result.event.output()["doubled"] == 8
    assert await kafka.committed() == 1  # stopping committed the request
