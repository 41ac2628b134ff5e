"""Batches settle in order: a commit never passes a batch the broker has not acknowledged."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import RecordMetadata, TopicPartition

from podium.coordinator._acks import Unacknowledged
from podium.coordinator._outbox import Handed
from podium.coordinator._store import Table

RUNS = TopicPartition("podium.runs", 0)
RESULTS = TopicPartition("podium.step.results", 0)


CHANGELOG = "app-runs-changelog"


def meta(partition: int, offset: int, topic: str = "t") -> RecordMetadata:
    return RecordMetadata(topic, partition, TopicPartition(topic, partition), offset, 0, -1, 0)


def handed(future: asyncio.Future[RecordMetadata], records: int = 1) -> Handed:
    return Handed(future, "t", records)


async def test_a_later_batch_acknowledged_first_waits_for_the_earlier_one() -> None:
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    unacked = Unacknowledged({})
    unacked.add([handed(first)], {RUNS: 10})
    unacked.add([handed(second)], {RUNS: 20, RESULTS: 5})
    second.set_result(meta(0, 1))
    await asyncio.sleep(0)  # let gather see it
    assert unacked.settle() == {}  # the first batch is still out: nothing may be committed
    first.set_result(meta(0, 0))
    await unacked.oldest()
    assert unacked.settle() == {RUNS: 20, RESULTS: 5}
    assert len(unacked) == 0


async def test_a_failed_batch_raises_so_nothing_after_it_is_committed() -> None:
    failed = asyncio.get_running_loop().create_future()
    unacked = Unacknowledged({})
    unacked.add([handed(failed)], {RUNS: 10})
    failed.set_exception(KafkaTimeoutError())
    await unacked.oldest()
    with pytest.raises(KafkaTimeoutError):
        unacked.settle()


async def test_drain_waits_for_every_batch_and_notes_changelog_positions() -> None:
    loop = asyncio.get_running_loop()
    table: Table[bytes] = Table(CHANGELOG)
    message, change, later = loop.create_future(), loop.create_future(), loop.create_future()
    unacked = Unacknowledged({CHANGELOG: table})
    # a producer batch of 3 changelog records starting at offset 41 ends before 44
    unacked.add([handed(message), Handed(change, CHANGELOG, 3)], {RUNS: 3})
    unacked.add([Handed(later, CHANGELOG, 1)], {RUNS: 4})
    loop.call_soon(message.set_result, meta(0, 7))
    loop.call_soon(change.set_result, meta(2, 41, CHANGELOG))
    loop.call_soon(later.set_result, meta(5, 0, CHANGELOG))
    assert await unacked.drain() == {RUNS: 4}
    assert table.written_to == {2: 44, 5: 1}
