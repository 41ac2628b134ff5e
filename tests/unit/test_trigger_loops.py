"""The trigger loops' decisions about sending and committing, with fake Kafka clients."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import TopicPartition
from aiokafka.errors import KafkaTimeoutError

import podium.triggers._events
from podium.codec import Codec
from podium.contract import FileLanded, RunRequested, header_value
from podium.pipelines import Pipeline, load_pipeline_file
from podium.triggers._cron_loop import CronTriggers
from podium.triggers._events import EventTriggers
from podium.triggers._ids import cron_run_id
from podium.triggers._send import RunSender, TriggerStats

EXAMPLE = Path(__file__).resolve().parents[2] / "services/examples/pipelines/file_ingest.yaml"
TOPIC = "podium.files.landed"
TP = TopicPartition(TOPIC, 0)
NOW = datetime(2025, 3, 1, 12, 0, 59, tzinfo=UTC)
CODEC = Codec()
TRACEPARENT = "00-" + "a" * 32 + "-" + "b" * 16 + "-01"


@dataclass
class Record:
    value: bytes | None
    offset: int
    topic: str = TOPIC
    partition: int = 0
    key: bytes | None = None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: int = -1  # Kafka's "none": every trigger takes it


@dataclass
class Sent:
    topic: str
    value: bytes
    key: bytes | None
    headers: list[tuple[str, bytes]]


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self.failures = 0

    async def send(self, topic: str, value: bytes, key: bytes | None = None, **kw: Any) -> Any:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.failures:
            self.failures -= 1
            future.set_exception(KafkaTimeoutError())
        else:
            self.sent.append(Sent(topic, value, key, kw.get("headers") or []))
            future.set_result(None)
        return future

    async def send_and_wait(self, topic: str, value: Any = None, key: Any = None, **kw: Any) -> Any:
        return await (await self.send(topic, value, key, **kw))

    def runs(self) -> list[RunRequested]:
        return [CODEC.decode_event(s.value, RunRequested) for s in self.sent if s.topic == "runs"]


class FakeConsumer:
    def __init__(self) -> None:
        self.subscribed: list[str] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: list[dict[TopicPartition, int]] = []
        self.batches: list[dict[TopicPartition, list[Record]]] = []

    def subscribe(self, topics: list[str], listener: Any = None) -> None:
        self.subscribed = topics

    def unsubscribe(self) -> None:
        self.subscribed = []

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))

    async def getmany(self, timeout_ms: int = 0) -> dict[TopicPartition, list[Record]]:
        return self.batches.pop(0) if self.batches else {}


def landed(uri: str = "file:///in/a.csv", checksum: str | None = "sha256:1") -> bytes:
    event = FileLanded(uri=uri, size_bytes=3, checksum=checksum, landed_at=NOW)
    return CODEC.encode_event(event)


def make_events(pipelines: list[Pipeline]) -> tuple[EventTriggers, FakeConsumer, FakeProducer]:
    consumer, producer = FakeConsumer(), FakeProducer()
    loop = EventTriggers(
        consumer,
        RunSender(producer, CODEC, "runs"),
        CODEC,
        lambda: pipelines,
        clock=lambda: NOW,
        stats=TriggerStats(),
        poll_s=0.0,
    )
    return loop, consumer, producer


@pytest.fixture
def file_ingest() -> Pipeline:
    return load_pipeline_file(EXAMPLE)


async def test_a_matching_event_sends_its_run_then_commits_past_it(file_ingest: Pipeline) -> None:
    loop, consumer, producer = make_events([file_ingest])
    loop.follow_registry()
    headers = [("traceparent", TRACEPARENT.encode())]
    consumer.batches.append({TP: [Record(landed(), 4, headers=headers)]})
    await loop._step(asyncio.Event())
    [sent] = producer.sent
    [run] = producer.runs()
    assert sent.key == run.run_id.encode()
    assert header_value(sent.headers, "traceparent") == TRACEPARENT
    assert consumer.commits == [{TP: 5}]


async def test_undecodable_bytes_are_dead_lettered_and_committed(file_ingest: Pipeline) -> None:
    loop, consumer, producer = make_events([file_ingest])
    loop.follow_registry()
    consumer.batches.append({TP: [Record(b"garbage", 0), Record(landed(), 1)]})
    await loop._step(asyncio.Event())
    assert [s.topic for s in producer.sent] == [f"{TOPIC}.dlq", "runs"]
    assert header_value(producer.sent[0].headers, "podium-dlq-reason") == "decode"
    assert consumer.commits == [{TP: 2}]
    assert loop.stats.dead_lettered == 1


async def test_params_that_do_not_fit_are_dead_lettered_as_validation(
    file_ingest: Pipeline,
) -> None:
    strict = file_ingest.model_copy(
        update={"params": {**file_ingest.params, "size_bytes": file_ingest.params["uri"]}}
    )  # size_bytes now declared a string, but the event carries an integer
    loop, _, producer = make_events([strict])
    await loop.handle(Record(landed(), 0), [strict])
    [letter] = producer.sent
    assert letter.topic == f"{TOPIC}.dlq"
    assert header_value(letter.headers, "podium-dlq-reason") == "validation"
    assert "params.size_bytes" in (header_value(letter.headers, "podium-dlq-error") or "")


async def test_an_unacknowledged_send_rewinds_to_the_record_and_commits_nothing_past_it(
    file_ingest: Pipeline,
) -> None:
    loop, consumer, producer = make_events([file_ingest])
    loop.follow_registry()
    producer.failures = 1
    consumer.batches.append({TP: [Record(landed(checksum="sha256:0"), 3)]})
    await loop._step(asyncio.Event())
    assert consumer.seeks == [(TP, 3)]
    assert consumer.commits == []
    assert loop.stats.unsent == 1


async def test_an_unexpected_error_dead_letters_the_record_and_the_loop_goes_on(
    file_ingest: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("bug while planning")

    loop, consumer, producer = make_events([file_ingest])
    loop.follow_registry()
    monkeypatch.setattr(podium.triggers._events, "plan_event_runs", broken)
    consumer.batches.append({TP: [Record(landed(), 0)]})
    await loop._step(asyncio.Event())
    assert header_value(producer.sent[-1].headers, "podium-dlq-reason") == "handler"
    assert header_value(producer.sent[-1].headers, "podium-dlq-detail") == "RuntimeError"
    monkeypatch.undo()
    consumer.batches.append({TP: [Record(landed(), 1)]})
    await loop._step(asyncio.Event())
    assert len(producer.runs()) == 1
    assert consumer.commits == [{TP: 1}, {TP: 2}]


async def test_the_subscription_follows_the_registry(file_ingest: Pipeline) -> None:
    pipelines: list[Pipeline] = []
    loop, consumer, _ = make_events(pipelines)
    loop.follow_registry()
    assert consumer.subscribed == []
    pipelines.append(file_ingest)
    loop.follow_registry()
    assert consumer.subscribed == [TOPIC]
    pipelines.clear()
    loop.follow_registry()
    assert consumer.subscribed == []


def every_minute() -> Pipeline:
    steps = [{"name": "a", "service": "work"}]
    triggers = [{"type": "cron", "schedule": "* * * * *"}]
    return Pipeline.model_validate(
        {"name": "tick", "version": 1, "steps": steps, "triggers": triggers}
    )


def make_cron(clock: list[datetime]) -> tuple[CronTriggers, FakeProducer]:
    producer = FakeProducer()
    loop = CronTriggers(
        RunSender(producer, CODEC, "runs"),
        lambda: [every_minute()],
        clock=lambda: clock[0],
        stats=TriggerStats(),
        catch_up=timedelta(seconds=60),
        interval_s=1.0,
    )
    return loop, producer


async def test_each_tick_is_sent_once_per_instance_across_checks() -> None:
    clock = [NOW]
    loop, producer = make_cron(clock)
    await loop.check()  # catch-up: 12:00 is within the last 60s
    clock[0] = NOW + timedelta(seconds=1)
    await loop.check()  # 12:01 is due
    await loop.check()  # nothing new
    ticks = [datetime(2025, 3, 1, 12, m, tzinfo=UTC) for m in (0, 1)]
    expected = [cron_run_id("tick", 1, t, schedule="* * * * *") for t in ticks]
    assert [r.run_id for r in producer.runs()] == expected
    assert all(header_value(s.headers, "traceparent") for s in producer.sent)


async def test_an_unacknowledged_tick_is_sent_again_on_the_next_check() -> None:
    clock = [NOW]
    loop, producer = make_cron(clock)
    producer.failures = 1
    with pytest.raises(KafkaTimeoutError):
        await loop.check()
    assert loop.checked_until is None
    clock[0] = NOW + timedelta(seconds=0.5)
    await loop.check()
    [run] = producer.runs()
    assert run.trigger.reference == "2025-03-01T12:00:00+00:00"


async def test_the_cron_loop_stops_promptly() -> None:
    loop, _ = make_cron([NOW])
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=0.5)
