"""The DLQ tools' Kafka side: read a DLQ topic whole or its tail, list DLQ topics, republish.

Reading joins no consumer group (nothing is committed, nobody else's offsets
move): every partition is assigned, read from the beginning up to the end
offsets taken at the start. Only entries (headers and a preview) are kept for
every record; whole records only for those a caller asks to keep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from podium.dlq._entry import DlqEntry, Origin, entry_of
from podium.dlq._errors import DlqTopicMissingError
from podium.dlq._letter import DLQ_SUFFIX, Record, dlq_topic, send_dead_letter
from podium.dlq._replay import Replay
from podium.dlq._tail import DlqTail, Span, tail_of, tail_start
from podium.errors import BrokerError
from podium.streams import KafkaTransport
from podium.topics import open_topic_admin

log = logging.getLogger("podium.dlq")

READ_TIMEOUT_S = 60.0
_POLL_MS = 300
Kept = list[tuple[DlqEntry, Any]]


@contextlib.asynccontextmanager
async def _consumer(client_kwargs: Mapping[str, Any]) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = KafkaTransport(client_kwargs).consumer(
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # the coordinator writes in transactions
    )
    try:
        await consumer.start()
        yield consumer
    except KafkaError as exc:
        raise BrokerError(f"cannot read from Kafka: {exc}", retryable=True) from exc
    finally:
        await consumer.stop()


async def dlq_topics(client_kwargs: Mapping[str, Any]) -> list[str]:
    """Every topic on the cluster whose name ends in ``.dlq``, sorted."""
    async with _consumer(client_kwargs) as consumer:
        topics: set[str] = await consumer.topics()
    return sorted(t for t in topics if t.endswith(DLQ_SUFFIX))


async def read_dlq(
    client_kwargs: Mapping[str, Any],
    topic: str,
    keep: Callable[[DlqEntry], bool] = lambda _: False,
) -> tuple[list[DlqEntry], Kept]:
    """Every entry of ``topic`` in order, and (entry, record) for those ``keep`` selects."""
    entries: list[DlqEntry] = []
    kept: Kept = []
    for record in await _read_topics(client_kwargs, [topic]):
        entry = entry_of(record)
        entries.append(entry)
        if keep(entry):
            kept.append((entry, record))
    return entries, kept


async def read_dlqs(client_kwargs: Mapping[str, Any], topics: Sequence[str]) -> list[DlqEntry]:
    """Every entry of every topic in ``topics``, read with one client (for counting)."""
    return [entry_of(record) for record in await _read_topics(client_kwargs, topics)]


async def _read_topics(client_kwargs: Mapping[str, Any], topics: Sequence[str]) -> list[Any]:
    counts = await _partition_counts(client_kwargs, topics)
    partitions = [TopicPartition(t, p) for t in topics for p in range(counts[t])]
    if not partitions:
        return []
    async with _consumer(client_kwargs) as consumer:
        consumer.assign(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                records = await _read_to(consumer, ends)
        except TimeoutError as exc:
            raise BrokerError(
                f"could not read {', '.join(topics)} to the end within {READ_TIMEOUT_S:g}s",
                retryable=True,
            ) from exc
    return sorted(records, key=lambda r: (r.topic, r.partition, r.offset))


async def _read_to(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> list[Any]:
    records: list[Any] = []
    while not await _reached(consumer, ends):
        for partition, batch in (await consumer.getmany(timeout_ms=_POLL_MS)).items():
            records.extend(r for r in batch if r.offset < ends[partition])
    return records


async def _partition_counts(
    client_kwargs: Mapping[str, Any], topics: Sequence[str]
) -> dict[str, int]:
    """From a full metadata listing: naming a missing topic could auto-create it."""
    async with open_topic_admin(client_kwargs) as admin:
        states = (await admin.describe(topics)).topics
    for topic in topics:
        if topic not in states:
            raise DlqTopicMissingError(topic, client_kwargs.get("bootstrap_servers"))
    return {topic: states[topic].partitions for topic in topics}


async def _reached(consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int]) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True


async def read_dlq_tail(client_kwargs: Mapping[str, Any], topic: str, limit: int) -> DlqTail:
    """The ``limit`` newest letters of ``topic``, reading only the last ``limit`` offsets
    of each partition."""
    counts = await _partition_counts(client_kwargs, [topic])
    partitions = [TopicPartition(topic, p) for p in range(counts[topic])]
    async with _consumer(client_kwargs) as consumer:
        consumer.assign(partitions)
        firsts = await consumer.beginning_offsets(partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        spans = {
            tp.partition: Span(firsts[tp], ends[tp], tail_start(firsts[tp], ends[tp], limit))
            for tp in partitions
        }
        for tp in partitions:
            consumer.seek(tp, spans[tp.partition].start)
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                records = await _read_to(consumer, ends)
        except TimeoutError as exc:
            raise BrokerError(f"could not read the tail of {topic}", retryable=True) from exc
    return tail_of(topic, spans, map(entry_of, records), limit)


async def send_replays(client_kwargs: Mapping[str, Any], replays: Iterable[Replay]) -> int:
    """Republish ``replays`` (acks=all, idempotent) and wait for every acknowledgement."""
    producer = AIOKafkaProducer(**client_kwargs, acks="all", enable_idempotence=True)
    try:
        await producer.start()
        futures = [
            await producer.send(r.topic, r.value, key=r.key, headers=r.headers) for r in replays
        ]
        await asyncio.gather(*futures)
    except KafkaError as exc:
        raise BrokerError(f"replay not acknowledged: {exc}", retryable=True) from exc
    finally:
        await producer.stop()
    return len(futures)


class DeadLetterSink:
    """Dead letters for a consumer without a group, where every instance reads every record.

    Several readers (API instances, CLI calls, restarts) meet the same bad record;
    the sink reads the DLQ once to learn which records are already there and
    writes each bad record only if it is not (two readers starting at the same
    moment may still both write it: ``dlq replay`` skips such twins).
    """

    def __init__(
        self, client_kwargs: Mapping[str, Any], *, group: str | None = None, run_keyed: bool = False
    ) -> None:
        self._client_kwargs = dict(client_kwargs)
        self._group = group
        self._run_keyed = run_keyed
        self._known: dict[str, set[Origin]] = {}
        self._producer: AIOKafkaProducer | None = None

    async def send(self, record: Record, error: BaseException) -> bool:
        """Dead-letter ``record`` unless it already is; True when written (and acknowledged)."""
        known = await self._known_origins(record.topic)
        origin = Origin(record.topic, record.partition, record.offset)
        if origin in known:
            return False
        producer = await self._started()
        await send_dead_letter(
            producer, record, error, group=self._group, run_keyed=self._run_keyed
        )
        known.add(origin)
        return True

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def _known_origins(self, topic: str) -> set[Origin]:
        if topic not in self._known:
            try:
                entries, _ = await read_dlq(self._client_kwargs, dlq_topic(topic))
            except DlqTopicMissingError:
                entries = []
            self._known[topic] = {e.origin for e in entries if e.origin is not None}
        return self._known[topic]

    async def _started(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = AIOKafkaProducer(**self._client_kwargs, acks="all", enable_idempotence=True)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer
