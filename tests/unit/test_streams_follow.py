"""Following a topic (the registry's and the read model's reader) on the in-memory
transport: caught up means every record committed before the start was taken; what comes
later is taken while following; an open transaction's records wait for its commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from aiokafka.structs import TopicPartition

from podium.errors import BrokerError
from podium.streams import TopicFollower
from podium.streams.testing import MemoryBroker, MemoryTransport

log = logging.getLogger("test")


class Taken:
    def __init__(self) -> None:
        self.values: list[bytes] = []

    async def __call__(self, batch: Mapping[TopicPartition, Iterable[Any]]) -> None:
        self.values.extend(record.value for records in batch.values() for record in records)


def follower(broker: MemoryBroker, taken: Taken, partitions: int = 2) -> TopicFollower:
    transport = MemoryTransport(broker)
    return TopicFollower(transport, "t", partitions, taken, what="test topic", poll_ms=50, log=log)


async def test_catching_up_takes_everything_written_before_the_start() -> None:
    broker, taken = MemoryBroker({"t": 2}), Taken()
    for value in (b"1", b"2", b"3"):
        broker.produce("t", value)
    reader = follower(broker, taken)
    await reader.catch_up(timeout=5)
    assert taken.values == [b"1", b"2", b"3"]
    await reader.stop()


async def test_following_takes_what_comes_later_and_only_once_committed() -> None:
    broker, taken = MemoryBroker({"t": 2}), Taken()
    reader = follower(broker, taken)
    await reader.catch_up(timeout=5)
    reader.follow()
    producer = MemoryTransport(broker).producer()
    await producer.begin_transaction()
    await producer.send("t", b"in a transaction", partition=1)
    broker.produce("t", b"plain")
    async with asyncio.timeout(5):
        while taken.values != [b"plain"]:
            await asyncio.sleep(0.01)
    await producer.commit_transaction()
    async with asyncio.timeout(5):
        while len(taken.values) < 2:
            await asyncio.sleep(0.01)
    assert taken.values == [b"plain", b"in a transaction"]
    assert reader.following and reader.failing_since is None
    await reader.stop()
    assert not reader.following


async def test_an_unreadable_topic_is_a_broker_error_naming_it() -> None:
    broker = MemoryBroker({"t": 1})
    broker.cut_off("t")
    with pytest.raises(BrokerError, match="cannot read test topic t"):
        await follower(broker, Taken(), partitions=1).catch_up(timeout=5)
