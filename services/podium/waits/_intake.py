"""The waiter's first stage: requests, signals and teams' events, re-keyed (the shell).

It reads the waiting steps' request topic, the signals topic and every topic a published
``kind: event`` step waits on (followed as pipelines are published), and writes each
wait and each event that may end one to the keyed topic under :func:`pair_key`, so the
second stage (``_pairs``) finds a wait and its events on one partition. It keeps no
state: a record is done once what it caused is acknowledged, and offsets are committed
after that (a crash re-reads it; the second stage ignores what it saw).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from podium.codec import Codec, DecodeError
from podium.contract import Signal, StepCompleted, StepFailed, StepRequested, trace_context
from podium.events import SchemaRegistryUnavailable
from podium.pipelines import EventWait, Pipeline
from podium.streams import GroupCommits
from podium.triggers import EventSource, RecordReader, header_texts
from podium.waits._decide import (
    NoCorrelationValue,
    arrivals_of,
    refused,
    signal_arrival,
    wait_of,
    waiting_steps,
)
from podium.waits._model import Arrival, Wait, to_message
from podium.waits._send import send_result
from podium.waits._stats import WaitStats

log = logging.getLogger("podium.waits")

SIGNAL_KEEP_MS = 24 * 3600 * 1000
"""A signal (an approval) sent before its step is requested is kept a day for it."""


class Intake:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: Any,
        codec: Codec,
        pipelines: Callable[[], list[Pipeline]],
        step_of: Callable[[str, str, str], Any],
        *,
        topics: Any,
        reader: RecordReader,
        stats: WaitStats,
        max_bytes: int,
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.codec = codec
        self.pipelines = pipelines
        self.step_of = step_of
        self.topics = topics
        self.reader = reader
        self.stats = stats
        self.max_bytes = max_bytes
        """The largest keyed message (``PODIUM_LIMITS__MAX_MESSAGE_BYTES``)."""
        self.commits = GroupCommits(consumer, interval_s=0.0, what="waiter intake", log=log)
        self.subscribed: frozenset[str] = frozenset()

    def event_waits(self) -> dict[str, list[EventWait]]:
        """The event waits of every published version, by topic (pinned runs wait too)."""
        found: dict[str, list[EventWait]] = {}
        for _, step in waiting_steps(self.pipelines()):
            if step.event is not None:
                found.setdefault(step.event.topic, []).append(step.event)
        return found

    def follow(self) -> None:
        topics = frozenset({self.topics.waits, self.topics.signals, *self.event_waits()})
        if topics != self.subscribed:
            log.info("waiter reads: %s", ", ".join(sorted(topics)))
            self.consumer.subscribe(sorted(topics), listener=self.commits.listener())
            self.subscribed = topics

    async def take(self, partition: TopicPartition, records: Iterable[Any]) -> bool:
        """Handle records in order; False (after rewinding) when a send or the registry failed."""
        waits = self.event_waits()
        for record in records:
            self.commits.tracker.started(partition, record.offset)
            try:
                await self._one(record, waits)
            except (KafkaError, SchemaRegistryUnavailable) as exc:
                log.warning("waiter intake of %s waits: %s", record.topic, exc)
                self.consumer.seek(partition, record.offset)
                return False
            self.commits.tracker.finished(partition, record.offset)
        await self.commits.commit()
        return True

    async def _one(self, record: Any, waits: dict[str, list[EventWait]]) -> None:
        now = datetime.now(UTC)
        try:
            if record.topic == self.topics.waits:
                await self._request(record, now)
            elif record.topic == self.topics.signals:
                await self._signal(record, now)
            else:
                await self._event(record, waits.get(record.topic, []), now)
        except (KafkaError, SchemaRegistryUnavailable):
            raise
        except DecodeError as exc:
            self.stats.undecodable += 1
            log.info(
                "waiter: %s[%d]@%d not read: %s", record.topic, record.partition, record.offset, exc
            )
        except Exception:  # a bug must not stop the waiter; the record is counted and logged
            self.stats.errors += 1
            log.exception("waiter intake of %s failed", record.topic)

    async def _request(self, record: Any, now: datetime) -> None:
        event = self.codec.decode_event(record.value)
        if not isinstance(event, StepRequested) or event.compensate:
            return  # cancel notices: a cancelled run ignores the late result
        step = self.step_of(event.pipeline, event.pipeline_version, event.step)
        if step is None or not step.waits:
            self.stats.unknown += 1
            return
        try:
            wait = wait_of(step, event, self.topics.signals, trace_context(record.headers))
        except NoCorrelationValue as exc:
            await self.send_result(refused(event, str(exc), now), trace_context(record.headers))
            return
        await self._keyed(wait)
        self.stats.waits += 1

    async def _signal(self, record: Any, _now: datetime) -> None:
        signal = self.codec.decode_event(record.value, Signal)
        source = _bare_source(record)
        await self._keyed(signal_arrival(signal, source, SIGNAL_KEEP_MS))
        self.stats.events += 1

    async def _event(self, record: Any, waits: list[EventWait], now: datetime) -> None:
        reading = await self.reader.read(record, [wait.reading for wait in waits])
        if reading.undecodable is not None:
            raise reading.undecodable
        arrivals = [
            arrival
            for source in reading.sources
            for arrival in arrivals_of(waits, source, round(now.timestamp() * 1000))
        ]
        for arrival in arrivals:
            await self._keyed(arrival)
        self.stats.events += len(arrivals)
        self.stats.unmatched += not arrivals

    async def _keyed(self, item: Wait | Arrival) -> None:
        value = json.dumps(to_message(item), separators=(",", ":"), ensure_ascii=False).encode()
        if len(value) > self.max_bytes:  # the broker would refuse it for ever: say so, go on
            self.stats.errors += 1
            log.warning(
                "waiter: %s of %d bytes is over the message limit; not kept", item.key, len(value)
            )
            return
        sent = await self.producer.send(self.topics.waits_keyed, value, key=item.key.encode())
        await sent

    async def send_result(self, result: StepCompleted | StepFailed, trace: dict[str, str]) -> None:
        await send_result(self.producer, self.codec, self.topics.step_results, result, trace)


def _bare_source(record: Any) -> EventSource:
    return EventSource(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        type_name=None,
        fields={},
        headers=header_texts(record.headers),
    )
