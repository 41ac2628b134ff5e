"""The coordinator's Kafka loop: batches in, state and messages out, then offsets.

One consumer (group = the coordinator's app id) reads every input topic; all of them
have the tables' partition count, and the range assignor gives a member the same
partition numbers of each, so partition ``p`` of every input and of every table
lives on one instance. Per poll:

1. ``getmany`` returns a batch of records per partition.
2. Each record goes to its topic's ``Route``: a function of (record, the partition's
   store) -> messages to produce. It changes the store in memory.
3. The messages are gathered in batches per partition (``_outbox``), then one changelog
   record per changed key; the batches go to the producer, and the loop fetches again
   without waiting for the broker (see ``_acks``).
4. When the broker acknowledged all of a batch's messages (and every earlier batch's),
   its offsets count as processed; they are committed at most every
   ``commit_interval_s`` (in the background), and on revoke and stop.

So what a record caused is on Kafka before its offset can be committed, and the
changelog holds every state a committed offset depends on. A produce that fails after
the client's retries stops the engine (fail-stop) without committing past it; the
restarted instance re-reads, and the machine's idempotent transitions absorb repeats.

On assignment the tables' stores for the new partitions are read from their changelogs
before any of their records is handled (a store already held is kept when the
changelog's end shows nobody else wrote it meanwhile). A partition never committed
starts at its beginning (``auto_offset_reset="earliest"``).

Why not faust: its per-event stream, table and producer machinery cost 550-700 µs of
CPU per event on our machine class (a batched relay costs ~14), and we had to patch
its consumer twice for records it skipped after a rebalance (see README Guarantees).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

from podium.coordinator._acks import Unacknowledged
from podium.coordinator._outbox import Outbox
from podium.coordinator._restore import restore
from podium.coordinator._store import Table
from podium.coordinator._translate import Outgoing
from podium.partitioner import MemoPartitioner

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
    commit_interval_s: float = 0.1
    max_poll_records: int = 500
    max_unacknowledged_batches: int = 16
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


class Engine:
    """Runs the routes over Kafka until stopped; ``on_assigned`` runs after each
    assignment's tables are restored (the coordinator rebuilds its timers there)."""

    def __init__(
        self,
        client_kwargs: dict[str, Any],
        config: EngineConfig,
        routes: dict[str, Route],
        on_assigned: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.routes = routes
        self.tables = list({id(route.table): route.table for route in routes.values()}.values())
        self._kwargs = client_kwargs
        self._on_assigned = on_assigned
        self._owned: set[TopicPartition] = set()
        self._processed: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._committed_at = 0.0
        self._evict_at = time.monotonic() + config.eviction_interval_s
        self._unacked = Unacknowledged({table.changelog: table for table in self.tables})
        self._committing: asyncio.Task[None] | None = None
        self._batch = asyncio.Lock()  # a revoke waits for the batch in hand to be queued
        self._failure: Exception | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
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
        """Connect the producer (so timers can send before the first assignment)."""
        kwargs = {**self._kwargs, "request_timeout_ms": self.config.produce_timeout_ms}
        partitioner = MemoPartitioner()
        self._producer = AIOKafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=self.config.linger_ms,
            partitioner=partitioner,
            **kwargs,
        )
        await self._producer.start()
        self._outbox = Outbox(self._producer, partitioner)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; then commit what is processed and leave the group."""
        config = self.config
        self._consumer = AIOKafkaConsumer(
            group_id=config.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            partition_assignment_strategy=(RangePartitionAssignor,),
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=max(100, config.session_timeout_ms // 3),
            fetch_max_wait_ms=config.fetch_max_wait_ms,
            max_poll_records=config.max_poll_records,
            **self._kwargs,
        )
        await self._consumer.start()
        try:
            self._consumer.subscribe(sorted(self.routes), listener=_Rebalance(self))
            await self._serve(stop)
            async with self._batch:
                await self._settle_all()
                await self.commit()
        finally:
            await self._consumer.stop()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def send(self, outgoing: Outgoing) -> RecordMetadata:
        """Produce one message outside a batch (timers), acknowledged on return."""
        future = await self.producer.send(
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
                async with self._batch:
                    await self._process(batches)
            self._processed.update(self._unacked.settle())
            if len(self._unacked) > self.config.max_unacknowledged_batches:
                await self._unacked.oldest()  # the broker is slow: stop fetching ahead of it
            if time.monotonic() - self._committed_at >= self.config.commit_interval_s:
                self._commit_in_background()
            if time.monotonic() >= self._evict_at:
                await self._evict_settled()

    def fail(self, error: Exception, during: str) -> None:
        """Stop serving (fail-stop): the next loop turn raises ``error``."""
        log.error("coordinator engine failed %s: %r", during, error)
        self._failure = self._failure or error

    def _commit_in_background(self) -> None:
        """Commits overlap the next fetch (one at a time); a failed one is retried later."""
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self.commit())

    async def _settle_all(self) -> None:
        """Wait for every queued batch's acknowledgements and take their offsets."""
        self._processed.update(await self._unacked.drain())
        if self._committing is not None:
            await self._committing

    async def _process(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
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
        await self._send_with_changes(reached)

    async def _send_with_changes(self, reached: dict[TopicPartition, int]) -> None:
        """Queue the changelog records of what changed, hand everything to the producer,
        and let the input offsets ``reached`` count once the broker acknowledged it all."""
        await self._put_changes()
        await self.outbox.hand_over()
        self._unacked.add(self.outbox.take_handed(), reached)

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
            await self._send_with_changes({})  # no input offset waits on a tombstone
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

    async def commit(self) -> None:
        """Commit every owned partition's processed offset not yet committed; a failed
        commit is retried by the next call (its records are then at worst re-read)."""
        self._committed_at = time.monotonic()
        due = {
            partition: offset
            for partition, offset in self._processed.items()
            if partition in self._owned and self._committed.get(partition) != offset
        }
        if not due or self._consumer is None:
            return
        try:
            await self._consumer.commit(due)
        except KafkaError as exc:
            log.warning("commit of %d partition(s) failed (will retry): %s", len(due), exc)
            return
        self._committed.update(due)

    # -- rebalances ---------------------------------------------------------------

    async def revoked(self) -> None:
        """Before the group reassigns: wait for what was sent, commit, hold nothing."""
        async with self._batch:
            await self._settle_all()
            await self.commit()
            self._owned = set()
            self._processed.clear()
            self._committed.clear()

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
        log.info(
            "assigned partitions %s; %d changelog records restored in %.2fs",
            sorted(partitions),
            restored,
            time.monotonic() - started,
        )

    async def _restore(self, table: Table[Any], partitions: set[int]) -> int:
        return await restore(self._kwargs, table, partitions)


def _freeze_survivors() -> None:
    """Move what is alive now (modules, clients, the restored tables) out of the garbage
    collector's sight: it lives as long as the process, and full collections walking it
    paused the loop for tens of milliseconds. Frozen objects are still freed when their
    last reference goes; only a reference cycle among them would stay (none of ours do)."""
    gc.collect()
    gc.freeze()
