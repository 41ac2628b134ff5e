"""The waiter's second stage: waits meet their events on the keyed topic (the shell).

One :class:`WaitBook` per assigned partition, rebuilt by reading from the committed
offset after a restart or a rebalance: an offset is committed only once nothing open
needs it (a wait until it is paired or past its deadline, an event until its keep ends),
so what is open is always read again. A pairing sends the step's result; a result sent
twice for one attempt (after a crash) is ignored by the coordinator, which takes one
result per attempt.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from podium.codec import Codec
from podium.pipelines import Step, StepKind
from podium.streams import GroupCommits
from podium.waits._book import Pairing, WaitBook
from podium.waits._decide import fits, outcome, timed_out_decision
from podium.waits._model import Arrival, Wait, from_message
from podium.waits._send import send_result
from podium.waits._stats import WaitStats

log = logging.getLogger("podium.waits")

StepOf = Callable[[str, str, str], Step | None]


class Pairs:
    def __init__(
        self,
        consumer: AIOKafkaConsumer,
        producer: Any,
        codec: Codec,
        step_of: StepOf,
        *,
        results_topic: str,
        stats: WaitStats,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.consumer = consumer
        self.producer = producer
        self.codec = codec
        self.step_of = step_of
        self.results_topic = results_topic
        self.stats = stats
        self.clock = clock
        self.commits = GroupCommits(consumer, interval_s=1.0, what="waiter", log=log)
        self.books: dict[TopicPartition, WaitBook] = {}
        self.offsets: dict[TopicPartition, dict[object, int]] = {}
        """Per partition: the keyed-topic offset of each open wait and event."""

    def listener(self) -> Any:
        return self.commits.listener(on_assigned=self._assigned)

    async def _assigned(self, assigned: set[TopicPartition]) -> None:
        for gone in set(self.books) - assigned:  # its new owner reads it again
            self.books.pop(gone)
            self.offsets.pop(gone, None)

    def _book(self, partition: TopicPartition) -> WaitBook:
        book = self.books.get(partition)
        if book is None:
            book = self.books[partition] = WaitBook(self._fits)
        return book

    def _fits(self, wait: Wait, arrival: Arrival) -> bool:
        return fits(self.step_of(wait.pipeline, wait.version, wait.step), wait, arrival)

    async def take(self, partition: TopicPartition, records: Iterable[Any]) -> None:
        book, now = self._book(partition), self._now_ms()
        opened = self.offsets.setdefault(partition, {})
        for record in records:
            self.commits.tracker.started(partition, record.offset)
            try:
                item = from_message(json.loads(record.value))
            except (ValueError, TypeError, KeyError) as exc:
                log.warning("waiter: not a waiter message at %s: %s", record.offset, exc)
                self.commits.tracker.finished(partition, record.offset)
                continue
            pairings = self._add(book, item, now)
            if _is_open(book, item) and _ident(item) not in opened:
                opened[_ident(item)] = record.offset
            else:  # done already, or read again while open (its first offset holds)
                self.commits.tracker.finished(partition, record.offset)
            await self._send(partition, pairings)
        await self.commits.commit_if_due()

    def _add(self, book: WaitBook, item: Wait | Arrival, now: int) -> list[Pairing]:
        if isinstance(item, Wait):
            return book.add_wait(item, now)
        return book.add_arrival(item, now)

    async def _send(self, partition: TopicPartition, pairings: list[Pairing]) -> None:
        now = self.clock()
        for pairing in pairings:
            wait = pairing.wait
            step = self.step_of(wait.pipeline, wait.version, wait.step)
            if step is not None:
                await send_result(
                    self.producer, self.codec, self.results_topic,
                    outcome(step, wait, pairing.arrival, now), wait.trace,
                )  # fmt: skip
                self.stats.completed += 1
            self._finish(partition, wait)

    def _finish(self, partition: TopicPartition, item: Wait | Arrival) -> None:
        offset = self.offsets.get(partition, {}).pop(_ident(item), None)
        if offset is not None:
            self.commits.tracker.finished(partition, offset)

    async def tick(self) -> None:
        """Expire what is past its time; decide approvals whose default outcome is due."""
        now = self._now_ms()
        for partition, book in list(self.books.items()):
            await self._decide_due(partition, book, now)
            late, old = book.expire(now)
            for wait in late:
                self._finish(partition, wait)
            for arrival in old:
                self._finish(partition, arrival)
            self.stats.expired += len(old)
        await self.commits.commit_if_due()

    async def _decide_due(self, partition: TopicPartition, book: WaitBook, now: int) -> None:
        """An approval's default outcome is sent shortly before the step's deadline, so the
        coordinator takes it instead of timing the step out."""
        for wait in book.open_waits():
            step = self.step_of(wait.pipeline, wait.version, wait.step)
            if step is None or step.kind is not StepKind.APPROVAL:
                continue
            margin = _decision_margin(wait.deadline_ms - wait.requested_ms)
            if now < wait.deadline_ms - margin:
                continue
            decision = timed_out_decision(step, wait, self.clock())
            if decision is None:
                continue
            await send_result(self.producer, self.codec, self.results_topic, decision, wait.trace)
            self.stats.completed += 1
            book.close(wait)
            self._finish(partition, wait)

    def _now_ms(self) -> int:
        return round(self.clock().timestamp() * 1000)

    async def commit(self) -> None:
        await self.commits.commit()


def _decision_margin(timeout_ms: int) -> int:
    """How long before the deadline a default decision is sent: enough for a tick (0.5 s)
    and the trip to the coordinator, at most 5 s, at most half the timeout."""
    return min(5_000, max(1_500, timeout_ms // 10), timeout_ms // 2)


def _ident(item: Wait | Arrival) -> object:
    return item.attempt_id if isinstance(item, Wait) else item.origin


def _is_open(book: WaitBook, item: Wait | Arrival) -> bool:
    if isinstance(item, Wait):
        return any(w.attempt_id == item.attempt_id for w in book.waits.get(item.key, []))
    return any(a.origin == item.origin for a in book.arrivals.get(item.key, []))
