"""The coordinator's outbox on the real broker: every message arrives once, in order, on
the partition Kafka's own partitioner gives its key, however the batches were cut."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from podium.streams import Outgoing
from podium.streams._outbox import Outbox
from podium.streams._partitioner import MemoPartitioner
from podium.testing import random_topic_name, wait_for_topics

PARTITIONS = 4


@pytest.fixture
async def topic(kafka_bootstrap: str) -> str:
    name = random_topic_name("outbox")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, PARTITIONS, 1)])
    finally:
        await admin.close()
    await wait_for_topics({"bootstrap_servers": kafka_bootstrap}, [name])
    return name


@pytest.fixture
async def outbox(kafka_bootstrap: str) -> AsyncIterator[Outbox]:
    partitioner = MemoPartitioner()
    # small batches, so that a poll's messages spill over several producer batches
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap,
        acks="all",
        enable_idempotence=True,
        max_batch_size=1024,
        partitioner=partitioner,
    )
    await producer.start()
    try:
        yield Outbox(producer, partitioner)
    finally:
        await producer.stop()


async def read_all(bootstrap: str, topic: str, count: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of the first ``count`` records, in each partition's order."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    found: list[tuple[int, bytes, bytes]] = []
    try:
        async with asyncio.timeout(30):
            while len(found) < count:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    found += [(tp.partition, r.key, r.value) for r in records]
    finally:
        await consumer.stop()
    return found


async def test_messages_land_once_in_order_on_their_keys_partitions(
    outbox: Outbox, topic: str, kafka_bootstrap: str
) -> None:
    keys = [f"run-{i % 25}".encode() for i in range(300)]
    values = [f"{i:04d}".encode() + b"x" * 100 for i in range(300)]
    for n, (key, value) in enumerate(zip(keys, values, strict=True)):
        await outbox.put(Outgoing(topic, key, value, [("podium-run-id", key)]))
        if n == 100:
            await outbox.hand_over_idle()  # mid-poll, as the engine does
    await outbox.hand_over()
    handed = outbox.take_handed()
    await asyncio.gather(*(batch.future for batch in handed))

    assert sum(batch.records for batch in handed) == 300
    assert len(handed) > PARTITIONS  # 1 KiB batches: the poll spilled over several
    found = await read_all(kafka_bootstrap, topic, 300)
    assert sorted(value for _, _, value in found) == sorted(values)  # each once
    expected = {key: DefaultPartitioner()(key, list(range(PARTITIONS)), []) for key in keys}
    assert all(partition == expected[key] for partition, key, _ in found)
    for key in set(keys):  # a run's messages keep the order they were put in
        in_order = [value for _, k, value in found if k == key]
        assert in_order == [v for k, v in zip(keys, values, strict=True) if k == key]


async def test_a_partition_with_a_batch_in_flight_is_not_handed_over_early(
    outbox: Outbox, topic: str
) -> None:
    first, second = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await outbox.put_to(first, b"k", b"one")
    await outbox.hand_over_idle()
    [in_flight] = outbox.take_handed()
    await outbox.put_to(first, b"k", b"two")
    await outbox.put_to(second, b"k", b"three")
    await outbox.hand_over_idle()
    early = outbox.take_handed()
    # nothing above yielded to the event loop, so the first batch cannot be acknowledged yet
    assert not in_flight.future.done()
    assert [(await batch.future).partition for batch in early] == [1]
    await outbox.hand_over()
    [late] = outbox.take_handed()
    metas = await asyncio.gather(in_flight.future, late.future)
    assert [(meta.partition, meta.offset) for meta in metas] == [(0, 0), (0, 1)]


async def test_a_topic_grown_meanwhile_is_partitioned_by_its_new_count(
    outbox: Outbox, topic: str, kafka_bootstrap: str
) -> None:
    key = next(  # a key that moves when the topic grows from 4 to 8 partitions
        k
        for k in (f"run-{i}".encode() for i in range(100))
        if DefaultPartitioner()(k, list(range(4)), [])
        != DefaultPartitioner()(k, list(range(8)), [])
    )
    await outbox.put(Outgoing(topic, key, b"before", []))
    await outbox.hand_over()
    [before] = outbox.take_handed()
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_partitions({topic: NewPartitions(total_count=8)})
    finally:
        await admin.close()
    await outbox.producer.client.force_metadata_update()
    await outbox.put(Outgoing(topic, key, b"after", []))
    await outbox.hand_over()
    [after] = outbox.take_handed()
    assert (await before.future).partition == DefaultPartitioner()(key, list(range(4)), [])
    assert (await after.future).partition == DefaultPartitioner()(key, list(range(8)), [])
