"""The benchmark's Kafka I/O: fresh topics, offsets, reading ranges back, following a topic.

Every topic is created with broker-side timestamps (``LogAppendTime``), so a record's
timestamp is the moment the broker appended it: latencies come from one clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from podium.errors import BrokerError

LOG_APPEND_TIME = {"message.timestamp.type": "LogAppendTime"}
LOG_APPEND_TYPE = 1
"""aiokafka's ``timestamp_type`` of a record stamped by the broker."""

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Offsets = dict[TopicPartition, int]


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    configs: Mapping[str, str] = field(default_factory=lambda: dict(LOG_APPEND_TIME))


async def create_topics(kwargs: Mapping[str, Any], specs: Iterable[TopicSpec]) -> None:
    """Create ``specs`` (replication 1: the benchmark's topics are throwaway)."""
    new = [NewTopic(s.name, s.partitions, 1, topic_configs=dict(s.configs)) for s in specs]
    admin = AIOKafkaAdminClient(**kwargs)
    try:
        await admin.start()
        response = await admin.create_topics(new)
        failed = [f"{e[0]} (error {e[1]})" for e in response.topic_errors if e[1]]
        if failed:
            raise BrokerError(f"could not create benchmark topics: {', '.join(failed)}")
        await _until_led(admin, [topic.name for topic in new])
    except KafkaError as exc:
        address = kwargs.get("bootstrap_servers")
        raise BrokerError(f"benchmark topics: Kafka at {address}: {exc}") from exc
    finally:
        await admin.close()


async def _until_led(admin: AIOKafkaAdminClient, names: list[str], timeout: float = 30) -> None:
    """Wait until every partition of ``names`` has a leader (clients then start cleanly)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await admin.describe_topics(names)
        if len(described) == len(names) and all(_led(topic) for topic in described):
            return
        await asyncio.sleep(0.1)
    raise BrokerError(f"benchmark topics have no leader after {timeout:.0f}s: {names}")


def _led(topic: Mapping[str, Any]) -> bool:
    partitions = topic.get("partitions") or []
    return (
        topic.get("error_code") == 0
        and bool(partitions)
        and all(p.get("leader", -1) >= 0 for p in partitions)
    )


async def topic_count(kwargs: Mapping[str, Any]) -> int:
    """How many topics the cluster holds (internal ones included); the benchmark's first
    call to the cluster, so an unreachable one is a BrokerError naming it."""
    admin = AIOKafkaAdminClient(**kwargs)
    try:
        await admin.start()
        return len(await admin.list_topics())
    except KafkaError as exc:
        raise BrokerError(f"benchmark: Kafka at {kwargs.get('bootstrap_servers')}: {exc}") from exc
    finally:
        await admin.close()


async def delete_topics(kwargs: Mapping[str, Any], prefix: str) -> None:
    """Delete every topic named ``prefix...`` (ours and the coordinator's own, e.g. its
    changelog): a benchmark leaves the broker as it found it."""
    admin = AIOKafkaAdminClient(**kwargs)
    try:
        await admin.start()
        names = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if names:
            await admin.delete_topics(names)
    finally:
        await admin.close()


def _consumer(kwargs: Mapping[str, Any]) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **kwargs,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # what a user sees of the coordinator's batches
    )


def partitions_of(topics: Iterable[str], count: int) -> list[TopicPartition]:
    """Every partition of ``topics`` (the benchmark created them: it knows their count)."""
    return [TopicPartition(topic, number) for topic in topics for number in range(count)]


async def end_offsets(kwargs: Mapping[str, Any], partitions: Iterable[TopicPartition]) -> Offsets:
    """Each partition's end offset (the offset the next record will get) now."""
    consumer = _consumer(kwargs)
    await consumer.start()
    try:
        ends: Offsets = await consumer.end_offsets(list(partitions))
        return ends
    finally:
        await consumer.stop()


async def read_range(kwargs: Mapping[str, Any], since: Offsets, until: Offsets) -> list[Record]:
    """Every record between two snapshots of end offsets, in partition order."""
    wanted = {tp: end for tp, end in until.items() if end > since.get(tp, 0)}
    if not wanted:
        return []
    consumer = _consumer(kwargs)
    await consumer.start()
    try:
        consumer.assign(list(wanted))
        for tp in wanted:
            consumer.seek(tp, since.get(tp, 0))
        return await _read_until(consumer, wanted)
    finally:
        await consumer.stop()


async def _read_until(consumer: AIOKafkaConsumer, wanted: Offsets) -> list[Record]:
    records: list[Record] = []
    left = dict(wanted)
    while left:
        batches = await consumer.getmany(*left, timeout_ms=1000)
        for tp, batch in batches.items():
            records += [r for r in batch if r.offset < wanted[tp]]
        for tp in list(left):  # the position, not the last record: a commit marker may end it
            if await consumer.position(tp) >= wanted[tp]:
                left.pop(tp)
    return records


class Follower:
    """Reads partitions from their beginning and hands each record to ``on_record`` (a task)."""

    def __init__(
        self,
        kwargs: Mapping[str, Any],
        partitions: list[TopicPartition],
        on_record: Callable[[Record], None],
    ) -> None:
        self._consumer = _consumer(kwargs)
        self._partitions = partitions
        self._on_record = on_record
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Follower:
        await self._consumer.start()
        self._consumer.assign(self._partitions)
        await self._consumer.seek_to_beginning(*self._partitions)
        self._task = asyncio.create_task(self._follow())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _follow(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                for record in batch:
                    self._on_record(record)
