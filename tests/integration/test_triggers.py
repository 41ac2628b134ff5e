"""Event and cron triggers against a real broker: random topics, registry and group per test."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.codec import Codec
from podium.contract import FileLanded, RunRequested, TriggerSource, header_value
from podium.pipelines import EventTrigger, Pipeline, load_pipeline_file
from podium.registry import PipelineRegistry, apply_pipelines
from podium.settings import KafkaSettings, PodiumSettings, TopicNames
from podium.testing import random_topic_name, wait_for_topics, wait_until, wait_until_sync
from podium.triggers import TriggerRunner
from podium.triggers._ids import cron_run_id, event_run_id

EXAMPLE = Path(__file__).resolve().parents[2] / "services/examples/pipelines/file_ingest.yaml"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CODEC = Codec()


@dataclass
class Collected:
    """Everything read so far from one topic (partition 0, from the beginning)."""

    records: list[Any] = field(default_factory=list)

    def runs(self) -> list[RunRequested]:
        return [CODEC.decode_event(r.value, RunRequested) for r in self.records]


@dataclass
class TriggerKafka:
    bootstrap: str
    name: str = field(default_factory=lambda: random_topic_name("trg"))
    registry: PipelineRegistry | None = None
    runners: list[TriggerRunner] = field(default_factory=list)
    readers: dict[str, AIOKafkaConsumer] = field(default_factory=dict)
    seen: dict[str, Collected] = field(default_factory=lambda: defaultdict(Collected))

    @property
    def kwargs(self) -> dict[str, Any]:
        return {"bootstrap_servers": self.bootstrap}

    @property
    def settings(self) -> PodiumSettings:
        topics = TopicNames(
            runs=f"{self.name}.runs",
            files_landed=f"{self.name}.files",
            pipelines=f"{self.name}.pipelines",
        )
        return PodiumSettings(topics=topics, kafka=KafkaSettings(bootstrap_servers=self.bootstrap))

    @property
    def files(self) -> str:
        return self.settings.topics.files_landed

    @property
    def other_files(self) -> str:
        return f"{self.name}.other-files"

    @property
    def topic_names(self) -> list[str]:
        names = [self.settings.topics.runs, self.files, self.other_files]
        return [*names, f"{self.files}.dlq", f"{self.other_files}.dlq"]

    async def create_topics(self) -> None:
        compact = {"cleanup.policy": "compact"}
        topics = [NewTopic(self.settings.topics.pipelines, 1, 1, topic_configs=compact)]
        topics += [NewTopic(name, 1, 1) for name in self.topic_names]
        admin = AIOKafkaAdminClient(**self.kwargs)
        await admin.start()
        try:
            await admin.create_topics(topics)
        finally:
            await admin.close()
        await wait_for_topics(self.kwargs, [t.name for t in topics])

    async def delete_topics(self) -> None:
        admin = AIOKafkaAdminClient(**self.kwargs)
        await admin.start()
        try:
            await admin.delete_topics([self.settings.topics.pipelines, *self.topic_names])
        finally:
            await admin.close()

    async def publish(self, *pipelines: Pipeline) -> None:
        topic = self.settings.topics.pipelines
        await apply_pipelines(self.kwargs, list(pipelines), topic=topic)

    async def start_registry(self) -> PipelineRegistry:
        self.registry = PipelineRegistry(self.kwargs, self.settings.topics.pipelines)
        await self.registry.start()
        return self.registry

    async def runner(self, group: str = "", **options: Any) -> TriggerRunner:
        assert self.registry is not None
        group_id = group or f"{self.name}.group"
        runner = TriggerRunner(self.settings, self.registry, CODEC, group_id=group_id, **options)
        self.runners.append(runner)
        await runner.start()
        return runner

    async def produce(self, topic: str, *values: bytes, trace: str | None = None) -> None:
        headers = [("traceparent", trace.encode())] if trace else []
        producer = AIOKafkaProducer(**self.kwargs, acks="all")
        await producer.start()
        try:
            for value in values:
                await producer.send_and_wait(topic, value, headers=headers)
        finally:
            await producer.stop()

    async def read(self, topic: str) -> Collected:
        """Records on ``topic`` so far (this call fetches whatever arrived since the last)."""
        reader = self.readers.get(topic)
        if reader is None:
            reader = AIOKafkaConsumer(**self.kwargs, auto_offset_reset="earliest")
            await reader.start()
            reader.assign([TopicPartition(topic, 0)])
            self.readers[topic] = reader
        for records in (await reader.getmany(timeout_ms=100)).values():
            self.seen[topic].records.extend(records)
        return self.seen[topic]

    async def wait_for(self, topic: str, count: int, what: str) -> Collected:
        async def enough() -> Collected | None:
            seen = await self.read(topic)
            return seen if len(seen.records) >= count else None

        return await wait_until(enough, timeout=30, what=what)

    async def committed(self, topic: str, group: str) -> int | None:
        consumer = AIOKafkaConsumer(**self.kwargs, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            offset: int | None = await consumer.committed(TopicPartition(topic, 0))
            return offset
        finally:
            await consumer.stop()

    async def close(self) -> None:
        for runner in self.runners:
            await runner.stop()
        for reader in self.readers.values():
            await reader.stop()
        if self.registry is not None:
            await self.registry.stop()


@pytest.fixture
async def kafka(kafka_bootstrap: str) -> AsyncIterator[TriggerKafka]:
    setup = TriggerKafka(kafka_bootstrap)
    await setup.create_topics()
    try:
        yield setup
    finally:
        await setup.close()
        await setup.delete_topics()


def file_ingest(topic: str, version: int = 1) -> Pipeline:
    """The example pipeline, listening to ``topic``."""
    trigger = EventTrigger(
        topic=topic, match={"uri": "*.csv"}, params={"uri": "uri", "size_bytes": "size_bytes"}
    )
    example = load_pipeline_file(EXAMPLE)
    return example.model_copy(update={"triggers": (trigger,), "version": version})


def landed(uri: str, checksum: str | None = "sha256:abc", size: int = 120) -> bytes:
    event = FileLanded(uri=uri, size_bytes=size, checksum=checksum, landed_at=datetime.now(UTC))
    return CODEC.encode_event(event)


async def started(kafka: TriggerKafka, *pipelines: Pipeline, **options: Any) -> TriggerRunner:
    await kafka.publish(*pipelines)
    await kafka.start_registry()
    return await kafka.runner(**options)


async def test_a_matching_file_starts_one_run_with_params_trace_and_deterministic_id(
    kafka: TriggerKafka,
) -> None:
    runner = await started(kafka, file_ingest(kafka.files))
    uri = "file:///data/in/sales.csv"
    await kafka.produce(kafka.files, landed(uri), trace=TRACEPARENT)
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "a RunRequested")
    [record], [run] = seen.records, seen.runs()
    assert run.run_id == event_run_id("file-ingest", 1, f"file:sha256:abc:{uri}")
    assert record.key == run.run_id.encode()
    assert (run.pipeline, run.pipeline_version) == ("file-ingest", "1")
    assert run.params()["uri"] == uri and run.params()["size_bytes"] == 120
    assert run.trigger.source is TriggerSource.EVENT
    assert run.trigger.reference == f"{kafka.files}/0/0"
    assert header_value(record.headers, "traceparent") == TRACEPARENT
    assert header_value(record.headers, "podium-run-id") == run.run_id

    async def committed() -> bool:
        return await kafka.committed(kafka.files, runner.group_id) == 1

    await wait_until(committed, timeout=15, what="the event's offset committed")
    began = time.monotonic()
    await runner.stop()
    assert time.monotonic() - began < 3, "stop() should be prompt"


async def test_a_file_that_does_not_match_starts_nothing(kafka: TriggerKafka) -> None:
    await started(kafka, file_ingest(kafka.files))
    # The .txt comes first on the same partition: once the .csv's run is out,
    # the .txt has been handled too, so "nothing for it" is not a guess.
    await kafka.produce(
        kafka.files, landed("file:///in/notes.txt", "sha256:1"), landed("file:///in/a.csv")
    )
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "the .csv's RunRequested")
    assert [run.params()["uri"] for run in seen.runs()] == ["file:///in/a.csv"]
    assert [r.trigger.reference for r in seen.runs()] == [f"{kafka.files}/0/1"]


async def test_the_same_event_twice_is_requested_twice_under_one_run_id(
    kafka: TriggerKafka,
) -> None:
    await started(kafka, file_ingest(kafka.files))
    event = landed("file:///in/a.csv", "sha256:same")
    await kafka.produce(kafka.files, event, event)
    seen = await kafka.wait_for(kafka.settings.topics.runs, 2, "two RunRequested")
    first, second = seen.runs()
    assert first.run_id == second.run_id  # the coordinator starts a run id once
    assert [r.key for r in seen.records] == [first.run_id.encode()] * 2
    assert (first.trigger.reference, second.trigger.reference) == (
        f"{kafka.files}/0/0",
        f"{kafka.files}/0/1",
    )


async def test_garbage_is_dead_lettered_and_the_runner_keeps_going(kafka: TriggerKafka) -> None:
    runner = await started(kafka, file_ingest(kafka.files))
    await kafka.produce(kafka.files, b"\x00not avro at all", landed("file:///in/after.csv"))
    dlq = await kafka.wait_for(f"{kafka.files}.dlq", 1, "a dead letter")
    [letter] = dlq.records
    assert letter.value == b"\x00not avro at all"
    assert header_value(letter.headers, "podium-dlq-reason") == "decode"
    assert header_value(letter.headers, "podium-dlq-original-topic") == kafka.files
    assert header_value(letter.headers, "podium-dlq-original-offset") == "0"
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "the next event's run")
    assert seen.runs()[0].params()["uri"] == "file:///in/after.csv"
    assert runner.stats.dead_lettered == 1


async def test_a_new_version_moves_the_subscription_to_its_topic(kafka: TriggerKafka) -> None:
    runner = await started(kafka, file_ingest(kafka.files), registry_poll_s=0.2)
    await kafka.publish(file_ingest(kafka.other_files, version=2))

    async def moved() -> bool:
        return runner.events is not None and runner.events.topics == {kafka.other_files}

    await wait_until(moved, timeout=15, what="the runner follows version 2's trigger topic")
    await kafka.produce(kafka.other_files, landed("file:///in/v2.csv"))
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "a run of version 2")
    [run] = seen.runs()
    assert run.pipeline_version == "2"
    assert run.run_id == event_run_id("file-ingest", 2, "file:sha256:abc:file:///in/v2.csv")


def every_minute() -> Pipeline:
    steps = [{"name": "a", "service": "work"}]
    triggers = [{"type": "cron", "schedule": "* * * * *"}]
    return Pipeline.model_validate(
        {"name": "tick", "version": 1, "steps": steps, "triggers": triggers}
    )


def half_a_second_before_a_minute() -> Callable[[], datetime]:
    """A clock that starts at 12:00:59.5 UTC and runs at real speed: a tick is 0.5s away."""
    start, origin = time.monotonic(), datetime(2025, 1, 1, 12, 0, 59, 500_000, tzinfo=UTC)
    return lambda: origin + timedelta(seconds=time.monotonic() - start)


async def test_two_runners_request_each_cron_tick_under_one_run_id(kafka: TriggerKafka) -> None:
    await kafka.publish(every_minute())
    await kafka.start_registry()
    clock = half_a_second_before_a_minute()
    first = await kafka.runner(clock=clock, cron_interval_s=0.1)
    second = await kafka.runner(clock=clock, cron_interval_s=0.1)
    # Each runner: 12:00 (inside its 60s catch-up window at start), then 12:01.
    seen = await kafka.wait_for(kafka.settings.topics.runs, 4, "both runners' two ticks")
    by_tick: dict[str, set[str]] = defaultdict(set)
    for run in seen.runs():
        assert run.trigger.source is TriggerSource.CRON
        by_tick[run.trigger.reference or ""].add(run.run_id)
    ticks = [datetime(2025, 1, 1, 12, minute, tzinfo=UTC) for minute in (0, 1)]
    assert by_tick == {
        tick.isoformat(): {cron_run_id("tick", 1, tick, schedule="* * * * *")} for tick in ticks
    }
    assert len(seen.records) == 4
    assert first.stats.cron_runs == second.stats.cron_runs == 2


# -- where a trigger starts (`from`) ----------------------------------------------------


def starting(topic: str, start: str) -> Pipeline:
    """The example pipeline on ``topic``, its trigger starting ``from: start``."""
    pipeline = file_ingest(topic)
    [trigger] = pipeline.triggers
    moved = EventTrigger.model_validate({**trigger.model_dump(), "from": start})
    return pipeline.model_copy(update={"triggers": (moved,)})


async def stamped(kafka: TriggerKafka, topic: str, *values: bytes) -> list[int]:
    """Produce ``values`` one by one; their record timestamps (ms)."""
    producer = AIOKafkaProducer(**kafka.kwargs, acks="all")
    await producer.start()
    try:
        return [(await producer.send_and_wait(topic, value)).timestamp for value in values]
    finally:
        await producer.stop()


def uris(seen: Collected) -> list[str]:
    return [run.params()["uri"] for run in seen.runs()]


async def test_a_new_trigger_on_a_topic_with_history_starts_at_its_end(
    kafka: TriggerKafka,
) -> None:
    old = [landed(f"file:///old/{i}.csv", f"sha256:{i}") for i in range(30)]
    await kafka.produce(kafka.files, *old)
    runner = await started(kafka, file_ingest(kafka.files))  # from: end, the default
    await kafka.produce(kafka.files, landed("file:///new/after-apply.csv"))
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "the new event's run")
    assert uris(seen) == ["file:///new/after-apply.csv"]
    assert runner.stats.events == 1, "the history was read, not skipped by position"
    assert await kafka.committed(kafka.files, runner.group_id) == 31


async def test_an_event_landing_between_apply_and_the_runners_start_still_runs(
    kafka: TriggerKafka,
) -> None:
    await kafka.produce(kafka.files, landed("file:///old/before-apply.csv", "sha256:old"))
    await kafka.publish(file_ingest(kafka.files))
    await kafka.produce(kafka.files, landed("file:///new/while-down.csv"))
    await kafka.start_registry()
    await kafka.runner()
    seen = await kafka.wait_for(kafka.settings.topics.runs, 1, "the run of the early event")
    assert uris(seen) == ["file:///new/while-down.csv"]


async def test_from_beginning_replays_the_topics_history(kafka: TriggerKafka) -> None:
    old = [landed(f"file:///old/{i}.csv", f"sha256:{i}") for i in range(3)]
    await kafka.produce(kafka.files, *old)
    await started(kafka, starting(kafka.files, "beginning"))
    seen = await kafka.wait_for(kafka.settings.topics.runs, 3, "a run per old event")
    assert uris(seen) == [f"file:///old/{i}.csv" for i in range(3)]


async def test_from_a_timestamp_replays_what_was_stamped_from_then_on(
    kafka: TriggerKafka,
) -> None:
    events = [landed(f"file:///old/{i}.csv", f"sha256:{i}") for i in range(4)]
    stamps = await stamped(kafka, kafka.files, *events[:2])
    wait_until_sync(lambda: time.time() * 1000 > stamps[-1] + 5, timeout=5, what="a later ms")
    later = await stamped(kafka, kafka.files, *events[2:])
    since = datetime.fromtimestamp(later[0] / 1000, UTC).isoformat()
    runner = await started(kafka, starting(kafka.files, since))
    seen = await kafka.wait_for(kafka.settings.topics.runs, 2, "the runs from the timestamp")
    assert uris(seen) == ["file:///old/2.csv", "file:///old/3.csv"]
    assert runner.stats.events == 2  # positioned at the timestamp, not read and skipped
