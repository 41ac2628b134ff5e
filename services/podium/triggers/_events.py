"""Event triggers: consume the trigger topics, produce RunRequested, then commit.

- The subscription follows the registry: every ``poll_s`` the topics named by
  the event triggers of the latest published versions are recomputed, and the
  consumer re-subscribes when they changed.
- Records of a partition are handled one by one. A record counts as done only
  when everything it caused (its RunRequested, or its dead letter) is
  acknowledged; done offsets are committed after each batch (and before a
  rebalance takes partitions away). A send the broker does not acknowledge
  rewinds the partition to that record, so it is retried, never skipped.
- Bad input never stops the loop: undecodable bytes go to ``<topic>.dlq``
  (the codec's reason) when a trigger of the topic asks for dead letters
  (Podium's own events do; a team's topic must say ``dlq: true``), else they
  are counted; params that do not fit the pipeline go there with reason
  ``validation``, and an unexpected error there with its class name. Events no
  trigger takes are counted, never dead-lettered.
- A Schema Registry that does not answer is not the record's fault: the
  partition is rewound to it and read again a second later.
- Redelivery is harmless: run ids are deterministic (see ``_ids``) and the
  coordinator starts a run id once.
- A partition the group has never committed is read from its topic's earliest
  trigger ``from`` (``_start``): by default the first publish of its triggers, so
  a topic's history does not start runs unless a trigger asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from podium.codec import Codec
from podium.contract import trace_context
from podium.events import SchemaRegistryClient, SchemaRegistryUnavailable
from podium.pipelines import Pipeline
from podium.streams import GroupCommits
from podium.triggers._plan import Plan, event_topics, plan_event_runs, topic_triggers
from podium.triggers._read import Reading, RecordReader
from podium.triggers._send import RunSender, TriggerStats
from podium.triggers._start import TriggerKey, topic_start

log = logging.getLogger("podium.triggers")

FETCH_TIMEOUT_MS = 200
RETRY_DELAY_S = 1.0


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, returning early once ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class EventTriggers:
    """The event half of the TriggerRunner (the consumer loop)."""

    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        sender: RunSender,
        codec: Codec,
        pipelines: Callable[[], list[Pipeline]],
        *,
        clock: Callable[[], datetime],
        stats: TriggerStats,
        poll_s: float,
        published: Callable[[], Mapping[TriggerKey, datetime]] = dict,
        schema_registry: SchemaRegistryClient | None = None,
    ) -> None:
        self.consumer = consumer
        self.sender = sender
        self.codec = codec
        self.reader = RecordReader(codec, schema_registry)
        self.pipelines = pipelines
        self.published = published
        self.clock = clock
        self.stats = stats
        self.poll_s = poll_s
        self.topics: frozenset[str] = frozenset()
        self.assigned: frozenset[TopicPartition] = frozenset()
        self.commits = GroupCommits(consumer, interval_s=0.0, what="event triggers", log=log)
        self._next_poll = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set; an unexpected error is logged and the loop goes on."""
        while not stop.is_set():
            try:
                await self._step(stop)
            except Exception:
                self.stats.errors += 1
                log.exception("event trigger loop failed; retrying")
                await wait_or_stop(stop, RETRY_DELAY_S)
        await self.commit()

    async def _step(self, stop: asyncio.Event) -> None:
        self.follow_registry()
        if not self.topics:
            await wait_or_stop(stop, self.poll_s)
            return
        batch = await self.consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
        for partition, records in batch.items():
            if not await self._handle_partition(partition, records):
                await wait_or_stop(stop, RETRY_DELAY_S)
        await self.commit()

    def follow_registry(self, *, force: bool = False) -> None:
        """Re-subscribe when the event trigger topics changed (at most every ``poll_s``)."""
        if not force and time.monotonic() < self._next_poll:
            return
        self._next_poll = time.monotonic() + self.poll_s
        topics = event_topics(self.pipelines())
        if topics == self.topics:
            return
        log.info("event triggers listen to: %s", ", ".join(sorted(topics)) or "nothing")
        self.topics = topics
        if topics:
            listener = self.commits.listener(on_assigned=self._assigned)
            self.consumer.subscribe(sorted(topics), listener=listener)
        else:
            self.consumer.unsubscribe()
            self.assigned = frozenset()

    async def _assigned(self, assigned: set[TopicPartition]) -> None:
        self.assigned = frozenset(assigned)
        log.info("trigger partitions assigned: %s", sorted(map(str, assigned)))
        await self.place_new(assigned)

    async def place_new(self, assigned: set[TopicPartition]) -> None:
        """Move each partition without a committed position to its topic's start: the
        beginning, or the first record stamped at or after the earliest trigger bound
        (the end when there is none)."""
        pipelines, published = self.pipelines(), self.published()
        by_time: dict[TopicPartition, int] = {}
        for partition in sorted(assigned):
            if await self.consumer.committed(partition) is not None:
                continue
            bound = topic_start(pipelines, partition.topic, published)
            if bound is None:
                await self.consumer.seek_to_beginning(partition)
                log.info(
                    "trigger partition %s: new to the group, reading from its beginning", partition
                )
            else:
                by_time[partition] = int(bound.timestamp() * 1000)
        # The ends are taken before the search by time: an event landing between the two
        # is past the bound but not found by it, and a seek to the end found later (or
        # resolved lazily, as aiokafka's seek_to_end is) would skip it.
        ends = await self.consumer.end_offsets(list(by_time)) if by_time else {}
        found = await self.consumer.offsets_for_times(by_time) if by_time else {}
        for partition, stamp in by_time.items():
            at = found.get(partition)
            self.consumer.seek(partition, ends[partition] if at is None else at.offset)
            since = datetime.fromtimestamp(stamp / 1000, UTC).isoformat()
            where = f"its end, offset {ends[partition]}" if at is None else f"offset {at.offset}"
            log.info(
                "trigger partition %s: new to the group, reading from %s (events since %s)",
                partition,
                where,
                since,
            )

    async def _handle_partition(self, partition: TopicPartition, records: list[Any]) -> bool:
        """Handle records in order; False (after rewinding) when a send was not acknowledged."""
        pipelines, published = self.pipelines(), self.published()
        tracker = self.commits.tracker
        for record in records:
            tracker.started(partition, record.offset)
            try:
                await self.handle(record, pipelines, published)
            except KafkaError as exc:
                self.stats.unsent += 1
                log.warning("sending for %s failed, retrying it: %s", _where(record), exc)
                self.consumer.seek(partition, record.offset)
                return False
            except SchemaRegistryUnavailable as exc:
                self.stats.registry_unavailable += 1
                log.warning("reading %s waits for the Schema Registry: %s", _where(record), exc)
                self.consumer.seek(partition, record.offset)
                return False
            tracker.finished(partition, record.offset)
        return True

    async def handle(
        self,
        record: Any,
        pipelines: list[Pipeline],
        published: Mapping[TriggerKey, datetime] | None = None,
    ) -> None:
        """Everything one record causes, acknowledged; raises only KafkaError (not sent) and
        SchemaRegistryUnavailable (not read)."""
        self.stats.events += 1
        try:
            reading = await self.reader.read(record, topic_triggers(pipelines, record.topic))
            plan = self._plan(reading, pipelines, published or {})
        except SchemaRegistryUnavailable:
            self.stats.events -= 1  # it is read again
            raise
        except Exception as exc:  # a bug must not stop the triggers; keep the record
            self.stats.errors += 1
            log.exception("trigger record %s failed", _where(record))
            await self._dead_letter(record, exc)
            return
        if (failure := reading.undecodable) is not None:
            await self._undecodable(record, failure, dead_letter=reading.dead_letter)
            return
        await self._start(record, plan)

    async def _start(self, record: Any, plan: Plan) -> None:
        if not plan.taken:
            self.stats.unmatched += 1
        self.stats.event_runs += await self.sender.send_runs(
            plan.runs, trace_context(record.headers)
        )
        self.stats.too_old += plan.too_old
        for rejected in plan.rejected:
            self.stats.rejected += 1
            await self._dead_letter(record, rejected)

    def _plan(
        self, reading: Reading, pipelines: list[Pipeline], published: Mapping[TriggerKey, datetime]
    ) -> Plan:
        """The runs of every format that read the record (a pipeline's first match wins)."""
        plan = Plan()
        started: set[str] = set()
        for source in reading.sources:
            found = plan_event_runs(pipelines, source, self.clock(), published)
            plan.runs.extend(run for run in found.runs if run.pipeline not in started)
            started.update(run.pipeline for run in found.runs)
            plan.rejected.extend(found.rejected)
            plan.too_old += found.too_old
            plan.taken |= found.taken
        return plan

    async def _undecodable(self, record: Any, error: Exception, *, dead_letter: bool) -> None:
        if dead_letter:
            await self._dead_letter(record, error)
            return
        self.stats.undecodable += 1
        log.info("trigger record %s not decoded (no dlq declared): %s", _where(record), error)

    async def _dead_letter(self, record: Any, error: BaseException) -> None:
        log.warning("dead-lettering trigger record %s: %s", _where(record), error)
        await self.sender.dead_letter(record, error)
        self.stats.dead_lettered += 1

    async def commit(self) -> None:
        """Commit the offsets of handled records; a failure is retried by the next call
        (after a rebalance the new owner re-reads them, and run ids dedup)."""
        await self.commits.commit()


def _where(record: Any) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
