"""A transaction commits only what the broker acknowledged, and knows how far it wrote."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import RecordMetadata, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from podium.streams._acks import acknowledged, written_ends
from podium.streams._outbox import Handed

CHANGELOG = "app-runs-changelog"


def meta(partition: int, offset: int, topic: str = "t") -> RecordMetadata:
    return RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, 0, -1, 0)


def done(result: RecordMetadata | BaseException) -> asyncio.Future[RecordMetadata]:
    future: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
    return future


async def test_a_failed_batch_raises_so_its_transaction_is_not_committed() -> None:
    handed = [Handed(done(meta(0, 1)), "t", 1), Handed(done(KafkaTimeoutError()), "t", 1)]
    with pytest.raises(KafkaTimeoutError):
        await acknowledged(handed)


async def test_acknowledged_waits_for_every_batch_in_order() -> None:
    loop = asyncio.get_running_loop()
    first: asyncio.Future[RecordMetadata] = loop.create_future()
    second = done(meta(1, 5))
    loop.call_soon(first.set_result, meta(0, 7))  # acknowledged after the second
    results = await acknowledged([Handed(first, "t", 1), Handed(second, "t", 1)])
    assert [(m.partition, m.offset) for m in results] == [(0, 7), (1, 5)]


async def test_written_ends_are_past_the_last_changelog_record_of_each_partition() -> None:
    handed = [
        Handed(done(meta(0, 7)), "t", 1),
        Handed(done(meta(2, 41, CHANGELOG)), CHANGELOG, 3),  # offsets 41..43
        Handed(done(meta(5, 0, CHANGELOG)), CHANGELOG, 1),
    ]
    results = await acknowledged(handed)
    ends = written_ends(handed, results, {CHANGELOG})
    assert ends == {TopicPartition(CHANGELOG, 2): 44, TopicPartition(CHANGELOG, 5): 1}


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10**6), st.integers(1, 500))))
def test_the_end_of_a_partition_is_past_every_batch_written_there(
    batches: list[tuple[int, int, int]],
) -> None:
    loop = asyncio.new_event_loop()
    try:
        handed = [Handed(loop.create_future(), CHANGELOG, count) for _, _, count in batches]
        results = [meta(p, offset, CHANGELOG) for p, offset, _ in batches]
        ends = written_ends(handed, results, {CHANGELOG})
    finally:
        loop.close()
    for partition, offset, count in batches:
        assert ends[TopicPartition(CHANGELOG, partition)] >= offset + count
    assert {tp.partition for tp in ends} == {p for p, _, _ in batches}
