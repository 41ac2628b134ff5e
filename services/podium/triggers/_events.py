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
  (the codec's reason), params that do not fit the pipeline go there with
  reason ``validation``, and an unexpected error there with its class name.
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

from podium.codec import Codec, CodecError
from podium.contract import trace_context
from podium.pipelines import Pipeline
from podium.streams import GroupCommits
from podium.triggers._plan import EventSource, Plan, event_topics, plan_event_runs
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
    ) -> None:
        self.consumer = consumer
        self.sender = sender
        self.codec = codec
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
        found = await self.consumer.offsets_for_times(by_time) if by_time else {}
        for partition, stamp in by_time.items():
            at = found.get(partition)
            if at is None:
                await self.consumer.seek_to_end(partition)
            else:
                self.consumer.seek(partition, at.offset)
            since = datetime.fromtimestamp(stamp / 1000, UTC).isoformat()
            where = "its end" if at is None else f"offset {at.offset}"
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
            tracker.finished(partition, record.offset)
        return True

    async def handle(
        self,
        record: Any,
        pipelines: list[Pipeline],
        published: Mapping[TriggerKey, datetime] | None = None,
    ) -> None:
        """Everything one record causes, acknowledged; raises only KafkaError (not sent)."""
        self.stats.events += 1
        try:
            plan = self._plan(record, pipelines, published or {})
        except CodecError as exc:
            await self._dead_letter(record, exc)
            return
        except Exception as exc:  # a bug must not stop the triggers; keep the record
            self.stats.errors += 1
            log.exception("trigger record %s failed", _where(record))
            await self._dead_letter(record, exc)
            return
        self.stats.event_runs += await self.sender.send_runs(
            plan.runs, trace_context(record.headers)
        )
        self.stats.too_old += plan.too_old
        for rejected in plan.rejected:
            self.stats.rejected += 1
            await self._dead_letter(record, rejected)

    def _plan(
        self, record: Any, pipelines: list[Pipeline], published: Mapping[TriggerKey, datetime]
    ) -> Plan:
        event = self.codec.decode_event(record.value)
        source = EventSource(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            type_name=event.avro_name,
            fields=event.model_dump(mode="json"),
            stamped_at=_stamp(record.timestamp),
        )
        return plan_event_runs(pipelines, source, self.clock(), published)

    async def _dead_letter(self, record: Any, error: BaseException) -> None:
        log.warning("dead-lettering trigger record %s: %s", _where(record), error)
        await self.sender.dead_letter(record, error)
        self.stats.dead_lettered += 1

    async def commit(self) -> None:
        """Commit the offsets of handled records; a failure is retried by the next call
        (after a rebalance the new owner re-reads them, and run ids dedup)."""
        await self.commits.commit()


def _stamp(timestamp_ms: int | None) -> datetime | None:
    """A record's timestamp; None for records written without one (-1)."""
    if timestamp_ms is None or timestamp_ms < 0:
        return None
    return datetime.fromtimestamp(timestamp_ms / 1000, UTC)


def _where(record: Any) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
