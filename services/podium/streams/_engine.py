"""The coordinator's Kafka loop: a batch in, state, messages and offsets out, atomically.

One consumer (group = the coordinator's app id) reads every input topic; all of them
have the tables' partition count, and the range assignor gives a member the same
partition numbers of each, so partition ``p`` of every input and of every table
lives on one instance. Each poll is one Kafka transaction:

1. ``getmany`` returns a batch of records per partition; the transaction begins.
2. Each record goes to its topic's ``Route``: a function of (record, the partition's
   store) -> messages to produce. It changes the store in memory.
3. The messages are gathered in batches per partition (``_outbox``), then one changelog
   record per changed key; the batches go to the producer (the first ones while the
   poll is still being handled).
4. Once the broker acknowledged every batch, the input offsets reached are added to the
   transaction (``send_offsets_to_transaction``) and it commits.

So the messages a record caused, the changelog record of the state it led to and its
offset are written together or not at all: a batch that fails half way (a produce the
client gave up on) aborts the transaction and stops the engine (fail-stop); the
restarted instance restores the state as it was before the batch and re-reads its
records, so every event the stored state implies is on its topic. Every consumer of
what the coordinator writes reads with ``isolation_level="read_committed"``.

The producer's ``transactional_id`` is unique per process unless set: a stable one per
instance (``PODIUM_COORDINATOR__TRANSACTIONAL_ID``) lets a restarted instance abort its
predecessor's open transaction at once, instead of the broker doing it after
``transaction_timeout_ms``; until then read_committed readers of the partitions it wrote
wait. Timers are sent by a second, plain idempotent producer: they are inputs, and a
transactional producer refuses sends outside a transaction.

On assignment the tables' stores for the new partitions are read from their changelogs
before any of their records is handled (a store already held is kept when the
changelog's end shows nobody else wrote it meanwhile). A partition never committed
starts at its beginning (``auto_offset_reset="earliest"``).

Why not faust: its per-event stream, table and producer machinery cost many times a
batched relay's CPU per event (``docs/performance.md``), and we had to patch its consumer
twice for records it skipped after a rebalance (see README Guarantees).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

from podium.streams._acks import acknowledged, written_ends
from podium.streams._message import Outgoing
from podium.streams._outbox import Outbox
from podium.streams._partitioner import MemoPartitioner
from podium.streams._restore import restore
from podium.streams._store import Table
from podium.streams._transport import Transport

log = logging.getLogger("podium.coordinator")

Handle = Callable[[ConsumerRecord[bytes, bytes], MutableMapping[str, Any]], list[Outgoing]]


@dataclass(frozen=True)
class Route:
    """What records of one input topic do: ``handle`` them against ``table``'s store."""

    table: Table[Any]
    handle: Handle


@dataclass(frozen=True)
class EngineConfig:
    group_id: str
    session_timeout_ms: int
    fetch_max_wait_ms: int
    linger_ms: int
    transactional_id: str = ""
    """The producer's transactional id ("": one of its own for this process)."""
    transaction_timeout_ms: int = 60_000
    """How long a transaction may stay open before the broker aborts it: longer than a
    broker outage the engine should ride out (it waits for acknowledgements meanwhile)."""
    max_poll_records: int = 500
    send_every: int = 16
    """Records handled before the loop hands idle partitions' batches to the producer and
    lets it send: without it a poll's first message waits for the whole poll."""
    eviction_interval_s: float = 60.0
    """How often the tables' settled rows past their retention are evicted."""
    produce_timeout_ms: int = 20 * 60 * 1000
    """How long a message may wait for the broker (retried meanwhile) before the engine
    stops: a broker outage shorter than this is ridden out, not a crash."""


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """aiokafka only logs a listener's exception and goes on (here: with partitions left
    paused, or a commit skipped), so a failure is handed to the engine, which stops."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        try:
            await self.engine.revoked()
        except Exception as exc:
            self.engine.fail(exc, "before a rebalance")

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        try:
            await self.engine.assigned(assigned)
        except Exception as exc:
            self.engine.fail(exc, f"restoring partitions {sorted(tp.partition for tp in assigned)}")


class EngineObserver:
    """What the engine tells its owner, once per batch and once per assignment (never per
    record: an observer that feeds metrics costs nothing on the record path). The base
    class ignores both."""

    def batch_done(self, records: int, seconds: float) -> None:
        """A poll's ``records`` were handled and committed in ``seconds`` (its whole
        transaction: handling, producing, the acknowledgements and the commit)."""

    def assigned(self, partitions: int, restored: int, seconds: float) -> None:
        """The engine owns ``partitions`` partitions now, their tables restored from
        ``restored`` changelog records in ``seconds``."""


class Engine:
    """Runs the routes over Kafka until stopped; ``on_assigned`` runs after each
    assignment's tables are restored (the coordinator rebuilds its timers there);
    ``observer`` hears of each batch and assignment."""

    def __init__(
        self,
        transport: Transport,
        config: EngineConfig,
        routes: dict[str, Route],
        on_assigned: Callable[[], None] = lambda: None,
        observer: EngineObserver | None = None,
    ) -> None:
        self.config = config
        self.routes = routes
        self.tables = list({id(route.table): route.table for route in routes.values()}.values())
        self._transport = transport
        self._on_assigned = on_assigned
        self._observer = observer or EngineObserver()
        self._owned: set[TopicPartition] = set()
        self._evict_at = time.monotonic() + config.eviction_interval_s
        self._changelogs = {table.changelog: table for table in self.tables}
        self._batch = asyncio.Lock()  # a revoke waits for the batch in hand to be queued
        self._failure: Exception | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._timer_producer: AIOKafkaProducer | None = None
        self._outbox: Outbox | None = None

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "the engine is not running"
        return self._producer

    @property
    def outbox(self) -> Outbox:
        assert self._outbox is not None, "the engine is not running"
        return self._outbox

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "the engine is not running"
        return self._consumer

    async def start(self) -> None:
        """Connect the producers (so timers can send before the first assignment)."""
        config = self.config
        timeout = config.produce_timeout_ms
        partitioner = MemoPartitioner()
        self._producer = self._transport.producer(
            acks="all",
            transactional_id=config.transactional_id or f"{config.group_id}-{uuid.uuid4()}",
            transaction_timeout_ms=config.transaction_timeout_ms,
            linger_ms=config.linger_ms,
            partitioner=partitioner,
            request_timeout_ms=timeout,
        )
        await self._producer.start()
        self._outbox = Outbox(self._producer, partitioner)
        self._timer_producer = self._transport.producer(
            acks="all",
            enable_idempotence=True,
            partitioner=MemoPartitioner(),
            request_timeout_ms=timeout,
        )
        await self._timer_producer.start()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; then commit what is processed and leave the group."""
        config = self.config
        self._consumer = self._transport.consumer(
            group_id=config.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=max(100, config.session_timeout_ms // 3),
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            max_poll_records=config.max_poll_records,
            isolation_level="read_committed",  # an aborted batch's messages never happened
        )
        await self._consumer.start()
        try:
            self._consumer.subscribe(sorted(self.routes), listener=_Rebalance(self))
            await self._serve(stop)  # every poll's transaction is committed when it returns
        finally:
            await self._consumer.stop()

    async def stop(self) -> None:
        for producer in (self._producer, self._timer_producer):
            if producer is not None:
                await producer.stop()

    async def send(self, outgoing: Outgoing) -> RecordMetadata:
        """Produce one message outside a transaction (timers), acknowledged on return."""
        assert self._timer_producer is not None, "the engine is not running"
        future = await self._timer_producer.send(
            outgoing.topic, outgoing.value, key=outgoing.key, headers=outgoing.headers
        )
        metadata: RecordMetadata = await future
        return metadata

    async def _serve(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if self._failure is not None:
                raise self._failure
            batches = await self.consumer.getmany(timeout_ms=100)
            if batches:
                started = time.perf_counter()
                async with self._batch:
                    await self._transaction(functools.partial(self._process, batches))
                records = sum(map(len, batches.values()))
                self._observer.batch_done(records, time.perf_counter() - started)
            if time.monotonic() >= self._evict_at:
                await self._evict_settled()

    def fail(self, error: Exception, during: str) -> None:
        """Stop serving (fail-stop): the next loop turn raises ``error``."""
        log.error("coordinator engine failed %s: %r", during, error)
        self._failure = self._failure or error

    async def _process(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> dict[TopicPartition, int]:
        """Handle a poll's records; returns the input offsets reached."""
        outbox = self.outbox
        reached: dict[TopicPartition, int] = {}
        handled = 0
        for partition, records in batches.items():
            if partition not in self._owned:
                self._push_back(partition, records[0].offset)
                continue
            route = self.routes[partition.topic]
            store = route.table.store(partition.partition)
            for record in records:
                for outgoing in route.handle(record, store):
                    await outbox.put(outgoing)
                handled += 1
                if handled % self.config.send_every == 0:
                    await outbox.hand_over_idle()
                    await asyncio.sleep(0)  # let the producer send what is handed over
            reached[partition] = records[-1].offset + 1
        return reached

    async def _transaction(self, work: Callable[[], Awaitable[dict[TopicPartition, int]]]) -> None:
        """One transaction: the messages ``work`` queues, the changelog records of what it
        changed and the input offsets it reached commit together, or nothing does (the
        transaction is aborted and the error raised: the stores are ahead of Kafka now)."""
        producer = self.producer
        await producer.begin_transaction()
        try:
            reached = await work()
            await self._put_changes()
            await self.outbox.hand_over()
            handed = self.outbox.take_handed()
            ends = written_ends(handed, await acknowledged(handed), self._changelogs)
            if reached:
                await producer.send_offsets_to_transaction(reached, self.config.group_id)
            await producer.commit_transaction()
        except BaseException:
            await self._abort()
            raise
        for tp, end in ends.items():  # the commit marker takes the offset after the records
            self._changelogs[tp.topic].written_to[tp.partition] = end + 1

    async def _abort(self) -> None:
        """Best effort: the broker aborts a transaction left open after its timeout."""
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.producer.abort_transaction(), timeout=10)

    async def _evict_settled(self) -> None:
        """Evict the settled rows past their table's retention, in owned partitions only
        (a revoked partition's rows are its next owner's); their tombstones go out like a
        poll's changes."""
        self._evict_at = time.monotonic() + self.config.eviction_interval_s
        now_ms = int(time.time() * 1000)
        partitions = {tp.partition for tp in self._owned}
        async with self._batch:
            evicted = {
                table.changelog: table.evict_settled(now_ms, partitions) for table in self.tables
            }
            if not any(evicted.values()):
                return
            await self._transaction(_no_input)
        for changelog, count in evicted.items():
            if count:
                log.info("retention: evicted %d settled row(s) of %s", count, changelog)

    def _push_back(self, partition: TopicPartition, offset: int) -> None:
        """Records of a partition whose table is not ready (being restored, or revoked since
        the fetch) are not handled: still assigned, it is sought back to read them again;
        reassigned, its new owner reads them from the committed offset."""
        if partition in self.consumer.assignment():
            self.consumer.seek(partition, offset)

    async def _put_changes(self) -> None:
        """One changelog record per key changed in this poll, on its table's partition."""
        for table in self.tables:
            for partition, store in table.stores.items():
                changes = store.changes()
                if changes:
                    tp = TopicPartition(table.changelog, partition)
                    for key, value in changes:
                        await self.outbox.put_to(tp, key.encode(), value)

    # -- rebalances ---------------------------------------------------------------

    async def revoked(self) -> None:
        """Before the group reassigns: let the poll in hand commit, then hold nothing."""
        async with self._batch:
            self._owned = set()
        self._observer.assigned(0, 0, 0.0)

    async def assigned(self, assigned: set[TopicPartition]) -> None:
        """Restore the tables' stores for ``assigned`` before any of their records."""
        # before any await: aiokafka fetches for a new assignment while this callback runs
        self.consumer.pause(*assigned)
        partitions = {tp.partition for tp in assigned}
        started = time.monotonic()
        restored = 0
        for table in self.tables:
            table.keep_only(partitions)
            restored += await self._restore(table, partitions)
        self._owned = set(assigned)
        self._on_assigned()
        _freeze_survivors()
        self.consumer.resume(*assigned)
        took = time.monotonic() - started
        self._observer.assigned(len(partitions), restored, took)
        log.info(
            "assigned partitions %s; %d changelog records restored in %.2fs",
            sorted(partitions),
            restored,
            took,
        )

    async def _restore(self, table: Table[Any], partitions: set[int]) -> int:
        return await restore(self._transport, table, partitions)


async def _no_input() -> dict[TopicPartition, int]:
    """Work of a transaction that handles no record (retention's tombstones)."""
    return {}


def _freeze_survivors() -> None:
    """Move what is alive now (modules, clients, the restored tables) out of the garbage
    collector's sight: it lives as long as the process, and full collections walking it
    paused the loop for tens of milliseconds. Frozen objects are still freed when their
    last reference goes; only a reference cycle among them would stay (none of ours do)."""
    gc.collect()
    gc.freeze()
