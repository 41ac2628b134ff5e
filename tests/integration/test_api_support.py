"""Shared by the API and run CLI integration tests: a private set of Podium topics per test,
a published pipeline, and helpers to read and write those topics like the coordinator does.
(No tests here.)"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.codec import Codec
from podium.contract import PodiumModel, RunStatus, RunStatusChanged, StepError, StepStatus
from podium.pipelines import Pipeline
from podium.registry import apply_pipelines
from podium.settings import KafkaSettings, PodiumSettings, TopicNames
from podium.testing import random_topic_name, wait_until
from podium.topics import open_topic_admin

SIMULATED_FROM_S = int(time.time())
"""Simulated runs happen now: the API forgets runs that finished a retention ago."""

PARTITIONS = 3


def ingest_pipeline() -> Pipeline:
    return Pipeline.model_validate(
        {
            "name": "ingest",
            "version": 1,
            "params": {
                "uri": {"type": "string", "required": True},
                "threshold": {"type": "integer", "default": 5},
            },
            "steps": [
                {"name": "validate", "service": "work"},
                {"name": "load", "service": "work", "after": ["validate"]},
            ],
        }
    )


@dataclass
class Env:
    """One test's cluster view: settings naming its own topics, and a codec."""

    settings: PodiumSettings
    codec: Codec

    @property
    def kwargs(self) -> dict[str, Any]:
        return self.settings.client_kwargs()

    @property
    def topics(self) -> TopicNames:
        return self.settings.topics

    def environ(self) -> dict[str, str]:
        """The same settings as PODIUM_* variables, for a `podium` subprocess."""
        env = {"PODIUM_KAFKA__BOOTSTRAP_SERVERS": self.settings.bootstrap_servers()}
        for name, value in self.topics.model_dump().items():
            env[f"PODIUM_TOPICS__{name.upper()}"] = value
        return env

    async def produce(self, topic: str, event: PodiumModel, key: str) -> None:
        producer = AIOKafkaProducer(**self.kwargs, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, self.codec.encode_event(event), key=key.encode())
        finally:
            await producer.stop()

    async def emit(self, run_id: str, ms: int, status: RunStatus, **fields: Any) -> None:
        """Produce a RunStatusChanged as the coordinator would."""
        event = RunStatusChanged(
            run_id=run_id,
            pipeline="ingest",
            pipeline_version="1",
            status=status,
            changed_at=datetime.fromtimestamp(SIMULATED_FROM_S + ms / 1000, tz=UTC),
            **fields,
        )
        await self.produce(self.topics.run_events, event, run_id)

    async def count(self, topic: str) -> int:
        """How many records ``topic`` holds, over all partitions."""
        consumer = AIOKafkaConsumer(**self.kwargs, group_id=None)
        await consumer.start()
        try:
            partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
            return sum((await consumer.end_offsets(partitions)).values())
        finally:
            await consumer.stop()

    async def records(self, topic: str, count: int, timeout: float = 20) -> list[Any]:
        """The first ``count`` records of ``topic`` (all partitions), waiting for them."""
        consumer = AIOKafkaConsumer(
            topic, **self.kwargs, group_id=None, auto_offset_reset="earliest"
        )
        await consumer.start()
        found: list[Any] = []
        try:

            async def enough() -> bool:
                batch = await consumer.getmany(timeout_ms=200)
                found.extend(r for rs in batch.values() for r in rs)
                return len(found) >= count

            await wait_until(enough, timeout=timeout, what=f"{count} records on {topic}")
        finally:
            await consumer.stop()
        return found


async def simulate_run(env: Env, run_id: str, fail: bool = False, *, ago_s: int = 0) -> None:
    """The coordinator's events for a run: start, validate retried once, load, end;
    ``ago_s`` seconds before now."""
    at = -ago_s * 1000
    boom = StepError(error_type="IOError", error_message="disk full", retryable=True)
    start = {"params": {"uri": "u", "threshold": 5}, "trigger": {"source": "API"}}
    await env.emit(run_id, at + 0, RunStatus.RUNNING, detail_json=json.dumps(start))
    step: dict[str, Any] = {"step": "validate"}
    await env.emit(
        run_id, at + 1, RunStatus.RUNNING, **step, step_status=StepStatus.RUNNING, attempt=1
    )
    await env.emit(
        run_id,
        at + 5,
        RunStatus.RUNNING,
        **step,
        step_status=StepStatus.RETRY_WAIT,
        attempt=1,
        error=boom,
    )
    await env.emit(
        run_id, at + 9, RunStatus.RUNNING, **step, step_status=StepStatus.RUNNING, attempt=2
    )
    output = json.dumps({"rows": 3})
    await env.emit(
        run_id,
        at + 12,
        RunStatus.RUNNING,
        **step,
        step_status=StepStatus.SUCCEEDED,
        attempt=2,
        output_json=output,
    )
    load = {"step": "load", "attempt": 1}
    if fail:
        await env.emit(
            run_id, at + 20, RunStatus.RUNNING, **load, step_status=StepStatus.FAILED, error=boom
        )
        await env.emit(
            run_id, at + 20, RunStatus.FAILED, reason="step load failed: IOError: disk full"
        )
        return
    await env.emit(run_id, at + 20, RunStatus.RUNNING, **load, step_status=StepStatus.SUCCEEDED)
    await env.emit(run_id, at + 20, RunStatus.SUCCEEDED)


async def _create(bootstrap: str, topics: TopicNames) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        new = [NewTopic(topics.runs, PARTITIONS, 1), NewTopic(topics.run_events, PARTITIONS, 1)]
        new.append(NewTopic(topics.pipelines, 1, 1, topic_configs={"cleanup.policy": "compact"}))
        await admin.create_topics(new)
    finally:
        await admin.close()


async def _visible(kwargs: dict[str, Any], topics: TopicNames) -> None:
    """Topic creation is asynchronous: wait until the metadata lists all three."""
    names = {topics.runs, topics.run_events, topics.pipelines}

    async def listed() -> bool:
        async with open_topic_admin(kwargs) as admin:
            return set((await admin.describe(names)).topics) == names

    await wait_until(listed, timeout=30, what=f"topics {sorted(names)} to exist")


async def _delete(bootstrap: str, topics: TopicNames) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topics.runs, topics.run_events, topics.pipelines])
    finally:
        await admin.close()


@pytest.fixture
async def env(kafka_bootstrap: str) -> AsyncIterator[Env]:
    """Fresh runs / run events / pipelines topics with the ``ingest`` pipeline published."""
    names = {name: random_topic_name(f"api-it-{name}") for name in ("runs", "ev", "pl")}
    topics = TopicNames(runs=names["runs"], run_events=names["ev"], pipelines=names["pl"])
    settings = PodiumSettings(kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap), topics=topics)
    await _create(kafka_bootstrap, topics)
    await _visible(settings.client_kwargs(), topics)
    await apply_pipelines(settings.client_kwargs(), [ingest_pipeline()], topic=topics.pipelines)
    yield Env(settings, Codec())
    await _delete(kafka_bootstrap, topics)
