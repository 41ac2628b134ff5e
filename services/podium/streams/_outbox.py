"""One poll's messages, gathered per topic partition and handed to the producer as batches.

``AIOKafkaProducer.send`` makes a coroutine, a future and a metadata object per message,
each resolved on the ack; a coordinator sends about four messages per event, so that was a
large share of its CPU. Appending to a ``BatchBuilder`` and handing it over with
``send_batch`` makes one future per batch (figures: ``docs/performance.md``, "The hot
path's tricks").

A builder is handed over at the end of each poll, or earlier (``hand_over_idle``) when
nothing handed before for its partition is still unacknowledged: ``send_batch`` waits
while the partition has a batch queued, and the loop must not wait on a round trip to
let the first messages of a long poll go out early. Partitions are chosen as ``send``
would choose them (the producer's partitioner over the topic's sorted partitions), so
every key lands where any other client puts it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.structs import RecordMetadata, TopicPartition

from podium.streams._message import Outgoing

Partitioner = Callable[[bytes | None, Sequence[int], Sequence[int]], int]


@dataclass(frozen=True, slots=True)
class Handed:
    """A batch the producer took: acknowledged when ``future`` is done."""

    future: asyncio.Future[RecordMetadata]
    topic: str
    records: int


@dataclass(slots=True)
class _Open:
    builder: Any  # aiokafka's BatchBuilder (untyped)
    records: int = 0


@dataclass
class Outbox:
    producer: AIOKafkaProducer
    partitioner: Partitioner
    _open: dict[TopicPartition, _Open] = field(default_factory=dict)
    _last: dict[TopicPartition, asyncio.Future[RecordMetadata]] = field(default_factory=dict)
    _handed: list[Handed] = field(default_factory=list)
    _partitions: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.producer.client.cluster.add_listener(self._forget_partitions)

    async def put(self, outgoing: Outgoing) -> None:
        """Queue ``outgoing`` on the partition its key maps to."""
        partitions = await self._partitions_of(outgoing.topic)
        partition = self.partitioner(outgoing.key, partitions, self._available(outgoing))
        await self.put_to(
            TopicPartition(outgoing.topic, partition),
            outgoing.key,
            outgoing.value,
            outgoing.headers,
        )

    async def put_to(
        self,
        tp: TopicPartition,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> None:
        """Queue a message on partition ``tp``; a full batch is handed over first."""
        batch = self._open.get(tp)
        if batch is None:
            batch = self._open[tp] = _Open(self.producer.create_batch())
        appended = batch.builder.append(timestamp=None, key=key, value=value, headers=headers or [])
        if appended is not None:
            batch.records += 1
            return
        await self._hand_over(tp, self._open.pop(tp))
        await self.put_to(tp, key, value, headers)  # an empty builder takes any one message

    async def hand_over(self) -> None:
        """Hand every open batch to the producer (waits while a partition has one queued)."""
        for tp in list(self._open):
            await self._hand_over(tp, self._open.pop(tp))

    async def hand_over_idle(self) -> None:
        """Hand over the open batches of partitions with nothing unacknowledged: the
        producer sends them at once, and the loop never waits here."""
        for tp in [tp for tp in self._open if self._idle(tp)]:
            await self._hand_over(tp, self._open.pop(tp))

    def take_handed(self) -> list[Handed]:
        """The batches handed over since the last call."""
        handed, self._handed = self._handed, []
        return handed

    def _available(self, outgoing: Outgoing) -> list[int]:
        """Partitions with a leader: only a message without a key picks among them."""
        if outgoing.key is not None:
            return []
        cluster = self.producer.client.cluster
        return list(cluster.available_partitions_for_topic(outgoing.topic) or ())

    def _idle(self, tp: TopicPartition) -> bool:
        last = self._last.get(tp)
        return last is None or last.done()

    async def _hand_over(self, tp: TopicPartition, batch: _Open) -> None:
        if not batch.records:
            return
        future = await self.producer.send_batch(batch.builder, tp.topic, partition=tp.partition)
        self._last[tp] = future
        self._handed.append(Handed(future, tp.topic, batch.records))

    async def _partitions_of(self, topic: str) -> list[int]:
        """The topic's partitions, sorted as aiokafka lists them for its partitioner;
        remembered until the producer's metadata next changes (asking the client copies
        them into a new set each time)."""
        known = self._partitions.get(topic)
        if known is None:
            current = self.producer.client.cluster.partitions_for_topic(topic)
            if current is None:
                current = await self.producer.partitions_for(topic)  # waits for metadata
            known = self._partitions[topic] = sorted(current)
        return known

    def _forget_partitions(self, _cluster: object) -> None:
        self._partitions.clear()
