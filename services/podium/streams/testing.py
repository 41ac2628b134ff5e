"""An in-memory Kafka for unit tests of the runtime's loops: :class:`MemoryTransport`.

It keeps what the engine relies on, so a test of a loop says something about Kafka:
partitions with offsets; transactions whose records are invisible to read_committed
readers until committed, skipped when aborted, and followed by a commit marker that takes
an offset; a consumer group's committed offsets (written by the transaction, as
``send_offsets_to_transaction`` does); a single member's assignment announced to the
rebalance listener. It leaves out what no loop here needs: several members per group,
replication, retention, compaction.

Faults are data: :meth:`MemoryBroker.refuse` fails the next batches produced to a topic,
:meth:`MemoryBroker.cut_off` makes a topic unreachable to consumers.

    broker = MemoryBroker({"in": 1, "out": 1, "app-t-changelog": 1})
    engine = Engine(MemoryTransport(broker), config, routes)
"""

from __future__ import annotations

__all__ = ["MemoryBroker", "MemoryConsumer", "MemoryProducer", "MemoryTransport"]

import asyncio
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka.errors import KafkaError, KafkaTimeoutError
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

Headers = Sequence[tuple[str, bytes]]

_OPEN, _COMMITTED, _ABORTED, _MARKER = "open", "committed", "aborted", "marker"


@dataclass
class _Record:
    key: bytes | None
    value: bytes | None
    headers: Headers
    state: str


@dataclass
class MemoryBroker:
    """Topics by name with their partition counts; shared by every client made from it."""

    partitions: Mapping[str, int]
    logs: dict[TopicPartition, list[_Record]] = field(default_factory=dict)
    committed: dict[str, dict[TopicPartition, int]] = field(default_factory=dict)
    """Each group's committed offsets."""
    commits: list[tuple[str, dict[TopicPartition, int]]] = field(default_factory=list)
    """Every consumer commit, in order: (group, offsets)."""
    _refusals: dict[str, list[Exception]] = field(default_factory=dict)
    _unreachable: dict[str, Exception] = field(default_factory=dict)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        for topic, count in self.partitions.items():
            for partition in range(count):
                self.logs[TopicPartition(topic, partition)] = []

    def produce(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Headers = (),
    ) -> None:
        """A committed record on ``topic``'s partition 0, as a plain producer writes it."""
        self._append(TopicPartition(topic, 0), [(key, value, headers)], _COMMITTED)

    def records(self, topic: str) -> list[tuple[bytes | None, bytes | None]]:
        """(key, value) of every committed record of ``topic``, partition by partition."""
        return [(key, value) for key, value, _ in self.messages(topic)]

    def messages(self, topic: str) -> list[tuple[bytes | None, bytes | None, Headers]]:
        """(key, value, headers) of every committed record of ``topic``."""
        return [
            (record.key, record.value, record.headers)
            for tp, log in sorted(self.logs.items())
            if tp.topic == topic
            for record in log
            if record.state == _COMMITTED
        ]

    def refuse(self, topic: str, error: Exception, times: int = 1) -> None:
        """The next ``times`` batches produced to ``topic`` fail with ``error``."""
        self._refusals.setdefault(topic, []).extend([error] * times)

    def cut_off(self, topic: str, error: Exception | None = None) -> None:
        """Every consumer call on ``topic`` fails (as a partition without a leader)."""
        self._unreachable[topic] = error or KafkaTimeoutError(f"{topic} unreachable")

    def reconnect(self, topic: str) -> None:
        self._unreachable.pop(topic, None)

    def stable_end(self, tp: TopicPartition) -> int:
        """The last stable offset: a read_committed reader stops before an open record."""
        log = self.logs[tp]
        return next((i for i, record in enumerate(log) if record.state == _OPEN), len(log))

    def check_reachable(self, tps: Iterable[TopicPartition]) -> None:
        for tp in tps:
            if tp.topic in self._unreachable:
                raise self._unreachable[tp.topic]

    def _append(
        self,
        tp: TopicPartition,
        messages: Sequence[tuple[bytes | None, bytes | None, Headers]],
        state: str,
    ) -> int:
        """Append ``messages``; returns the first one's offset (or the refusal's error)."""
        refusals = self._refusals.get(tp.topic)
        if refusals:
            raise refusals.pop(0)
        log = self.logs[tp]
        first = len(log)
        log.extend(_Record(key, value, list(headers), state) for key, value, headers in messages)
        self._notify()
        return first

    def _end_transaction(self, written: set[TopicPartition], outcome: str) -> None:
        for tp in written:
            log = self.logs[tp]
            for record in log:
                if record.state == _OPEN:
                    record.state = outcome
            log.append(_Record(None, None, [], _MARKER))
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


class MemoryTransport:
    """Clients on ``broker``, made as :class:`podium.streams.KafkaTransport` makes
    aiokafka's (unknown options are accepted and ignored)."""

    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker

    def consumer(self, **options: Any) -> Any:
        return MemoryConsumer(self.broker, options.get("group_id"), options.get("isolation_level"))

    def producer(self, **options: Any) -> Any:
        return MemoryProducer(self.broker, options.get("partitioner"))


class MemoryConsumer:
    """The part of ``AIOKafkaConsumer`` the runtime uses."""

    def __init__(self, broker: MemoryBroker, group_id: str | None, isolation: str | None) -> None:
        self._broker = broker
        self._group = group_id
        self._committed_only = isolation == "read_committed"
        self._subscribed: list[str] = []
        self._listener: Any = None
        self._assigned: set[TopicPartition] = set()
        self._paused: set[TopicPartition] = set()
        self._positions: dict[TopicPartition, int] = {}
        self._announce = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self._assigned = set()

    async def topics(self) -> set[str]:
        return {tp.topic for tp in self._broker.logs}

    def subscribe(self, topics: Sequence[str], listener: Any = None) -> None:
        self._subscribed, self._listener, self._announce = list(topics), listener, True

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Store the group's offsets, as a consumer's manual commit does."""
        assert self._group, "a consumer outside a group commits nothing"
        self._broker.committed.setdefault(self._group, {}).update(offsets)
        self._broker.commits.append((self._group, dict(offsets)))

    def assign(self, partitions: Iterable[TopicPartition]) -> None:
        self._assigned = set(partitions)

    def assignment(self) -> set[TopicPartition]:
        return set(self._assigned)

    def pause(self, *partitions: TopicPartition) -> None:
        self._paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self._paused.difference_update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self._paused)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._positions[tp] = offset

    async def seek_to_beginning(self, *partitions: TopicPartition) -> None:
        self._broker.check_reachable(partitions)
        for tp in partitions:
            self._positions[tp] = 0

    async def end_offsets(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        self._broker.check_reachable(partitions)
        return {tp: self._end(tp) for tp in partitions}

    async def position(self, tp: TopicPartition) -> int:
        self._broker.check_reachable([tp])
        return self._position(tp)

    async def getmany(
        self, *partitions: TopicPartition, timeout_ms: int = 0, max_records: int | None = None
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        if self._announce:
            await self._join()
        fetched = self._fetch(max_records)
        if not fetched and timeout_ms:
            changed = self._broker._changed
            try:
                await asyncio.wait_for(changed.wait(), timeout_ms / 1000)
            except TimeoutError:
                return {}
            fetched = self._fetch(max_records)
        return fetched

    async def _join(self) -> None:
        """The group's one member gets every partition of the subscribed topics."""
        self._announce = False
        self._assigned = {tp for tp in self._broker.logs if tp.topic in self._subscribed}
        committed = self._broker.committed.get(self._group or "", {})
        self._positions = {tp: committed.get(tp, 0) for tp in self._assigned}
        if self._listener is not None:
            await self._listener.on_partitions_assigned(set(self._assigned))

    def _fetch(self, most: int | None) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        self._broker.check_reachable(self._assigned)
        fetched = {}
        for tp in sorted(self._assigned - self._paused):
            records = self._read(tp, most)
            if records:
                fetched[tp] = records
                most = None if most is None else most - len(records)
            if most == 0:
                break
        return fetched

    def _read(self, tp: TopicPartition, most: int | None) -> list[ConsumerRecord[bytes, bytes]]:
        """Up to ``most`` readable records from the position; the position moves past
        what was read (and past markers and aborted records before the next one)."""
        log, offset, end = self._broker.logs[tp], self._position(tp), self._end(tp)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while offset < end and (most is None or len(records) < most):
            if log[offset].state in (_COMMITTED, _OPEN):
                records.append(_consumer_record(tp, offset, log[offset]))
            offset += 1
        self._positions[tp] = offset
        return records

    def _position(self, tp: TopicPartition) -> int:
        return self._positions.get(tp, 0)

    def _end(self, tp: TopicPartition) -> int:
        if self._committed_only:
            return self._broker.stable_end(tp)
        return len(self._broker.logs[tp])


def _consumer_record(tp: TopicPartition, offset: int, record: _Record) -> ConsumerRecord[Any, Any]:
    return ConsumerRecord(
        tp.topic,
        tp.partition,
        offset,
        0,
        0,
        record.key,
        record.value,
        None,
        len(record.key or b""),
        len(record.value or b""),
        tuple(record.headers),
    )


class _Batch:
    """Stands in for aiokafka's ``BatchBuilder``: appends until it holds ``capacity``."""

    capacity = 64

    def __init__(self) -> None:
        self.messages: list[tuple[bytes | None, bytes | None, Headers]] = []

    def append(
        self, *, timestamp: int | None, key: bytes | None, value: bytes | None, headers: Headers
    ) -> object | None:
        if len(self.messages) >= self.capacity:
            return None
        self.messages.append((key, value, headers))
        return object()


class _Cluster:
    """The producer's metadata as the outbox reads it."""

    def __init__(self, broker: MemoryBroker) -> None:
        self._broker = broker

    def add_listener(self, listener: Callable[[object], None]) -> None:
        return None  # the partitions never change

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        count = self._broker.partitions.get(topic)
        return set(range(count)) if count is not None else None

    def available_partitions_for_topic(self, topic: str) -> set[int]:
        return self.partitions_for_topic(topic) or set()


@dataclass
class _Client:
    cluster: _Cluster


class MemoryProducer:
    """The part of ``AIOKafkaProducer`` the runtime uses; a batch produced in a
    transaction stays invisible to read_committed readers until the commit."""

    _ids = itertools.count()

    def __init__(self, broker: MemoryBroker, partitioner: Any) -> None:
        self._broker = broker
        self._partitioner = partitioner
        self.client = _Client(_Cluster(broker))
        self._written: set[TopicPartition] | None = None  # None: no transaction open
        self._offsets: dict[str, dict[TopicPartition, int]] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def begin_transaction(self) -> None:
        assert self._written is None, "a transaction is already open"
        self._written, self._offsets = set(), {}

    async def send_offsets_to_transaction(
        self, offsets: Mapping[TopicPartition, int], group_id: str
    ) -> None:
        assert self._written is not None, "no transaction open"
        self._offsets.setdefault(group_id, {}).update(offsets)

    async def commit_transaction(self) -> None:
        assert self._written is not None, "no transaction open"
        for group, offsets in self._offsets.items():
            self._broker.committed.setdefault(group, {}).update(offsets)
        self._broker._end_transaction(self._written, _COMMITTED)
        self._written = None

    async def abort_transaction(self) -> None:
        if self._written is not None:
            self._broker._end_transaction(self._written, _ABORTED)
        self._written = None

    async def partitions_for(self, topic: str) -> set[int]:
        partitions = self.client.cluster.partitions_for_topic(topic)
        if partitions is None:
            raise KafkaError(f"unknown topic {topic}")
        return partitions

    def create_batch(self) -> _Batch:
        return _Batch()

    async def send_batch(
        self, batch: _Batch, topic: str, *, partition: int
    ) -> asyncio.Future[RecordMetadata]:
        return self._produce(TopicPartition(topic, partition), batch.messages)

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[RecordMetadata]:
        if partition is None:
            partitions = sorted(await self.partitions_for(topic))
            partition = self._partitioner(key, partitions, partitions)
        return self._produce(TopicPartition(topic, partition), [(key, value, headers or [])])

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> RecordMetadata:
        return await (await self.send(topic, value, key, partition, headers))

    def _produce(
        self, tp: TopicPartition, messages: Sequence[tuple[bytes | None, bytes | None, Headers]]
    ) -> asyncio.Future[RecordMetadata]:
        future: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        state = _COMMITTED if self._written is None else _OPEN
        try:
            offset = self._broker._append(tp, messages, state)
        except Exception as exc:  # a refused batch: its future fails, as the client's would
            future.set_exception(exc)
            return future
        if self._written is not None:
            self._written.add(tp)
        future.set_result(RecordMetadata(tp.topic, tp.partition, tp, offset, 0, 0, 0))
        return future
