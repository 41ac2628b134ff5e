"""The Kafka side of a service: fetch, run handlers, produce results, commit.

- At most ``concurrency`` records are in flight: the loop fetches only as many
  records as there are free slots (``getmany(max_records=free)``), so a burst
  never piles up unstarted work in memory.
- A record's offset counts as done only when what it caused (its result, or its
  dead letter) is acknowledged by the broker; ``podium.streams.GroupCommits``
  commits the highest contiguous done offset per partition, at most every
  ``COMMIT_INTERVAL_S`` while serving, and always on revoke and on stop.
- On stop: no more fetching, in-flight handlers get ``grace_s`` to finish, the
  rest are cancelled (uncommitted, so redelivered), done offsets are committed.
- A StepCancelRequested on the request topic (the run no longer needs that
  attempt) cancels the matching running handler (its request's task, while the
  handler runs): it sends no result and its request counts as done. A request
  whose cancel came first is skipped (see ``Cancellations``). Either way nothing
  is redelivered, and the notice's own offset is done at once. Handlers see the
  cancel as ``asyncio.CancelledError`` and should be cancellation-safe
  (``try/finally`` to clean up, no swallowing).
- A handler's exception is not poison: it becomes a StepFailed and the pipeline's
  retry policy decides. A handler that raises ``PoisonMessage`` says the request
  itself can never be handled: it is dead-lettered (reason ``handler``) and a
  non-retryable StepFailed is sent, in that order, before the offset is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import IllegalStateError, KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from podium.codec import Codec, CodecError, WrongEventTypeError
from podium.contract import StepCancelRequested, StepCompleted, StepRequested, header_value
from podium.dlq import reason_of, send_dead_letter
from podium.service._cancel import Cancellations
from podium.service._dedup import InFlight
from podium.service._errors import RequestTooLarge
from podium.service._execute import Result, run_result
from podium.service._resend import is_transient, resend_delay
from podium.service._results import heartbeat, result_headers
from podium.streams import GroupCommits, MemoPartitioner, OffsetTracker, Transport

if TYPE_CHECKING:  # the runner serves a Service; Service.run builds the runner
    from podium.service._service import Service

log = logging.getLogger("podium.service")
Key = tuple[str, str, int]
Token = tuple[TopicPartition, int]
Message = StepRequested | StepCancelRequested | CodecError
"""A decoded request-topic record, or why it cannot be used (for the DLQ)."""
_ACCEPTED = (StepRequested.avro_name, StepCancelRequested.avro_name)
COMMIT_INTERVAL_S = 0.2
"""How often a serving loop commits done offsets. Longer means fewer commit requests and,
after a crash, more requests redelivered (their repeats are absorbed as duplicates)."""


@dataclass
class ServiceStats:
    """Counters of what the service did since it started."""

    received: int = 0
    completed: int = 0
    failed: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    unsent: int = 0
    """Results or dead letters the broker did not acknowledge (left uncommitted)."""
    resent: int = 0
    """Result sends retried after a transient failure (a broker outage, say)."""
    cancelled: int = 0
    """Handlers stopped by a cancel notice (no result sent, request committed)."""
    skipped: int = 0
    """Requests not run because their cancel notice came first (committed)."""
    poisoned: int = 0
    """Requests a handler marked as poison (dead-lettered, and failed for good)."""


def _now() -> datetime:
    return datetime.now(UTC)


TOPIC_POLL_S = 1.0
TOPIC_MISSING_REPEAT_S = 60.0
MISSING_TOPIC = (
    "service %s: request topic %s does not exist: create it with "
    "`podium pipelines apply <pipeline file>` (it creates every step's request topic) "
    "or `podium topics apply <topics file>`; waiting for it"
)


async def _announce(assigned: set[TopicPartition]) -> None:
    log.info("serving partitions %s", sorted(tp.partition for tp in assigned))


class ServiceRunner:
    """Runs one :class:`Service` against Kafka until told to stop."""

    def __init__(self, service: Service, transport: Transport, codec: Codec | None = None) -> None:
        self.service = service
        self.codec = codec or Codec()
        self.stats = ServiceStats()
        self.worker = f"{socket.gethostname()}/{os.getpid()}"
        self._transport = transport
        self._commits: GroupCommits | None = None
        self._in_flight: InFlight[Key, Token] = InFlight()
        self._cancels: Cancellations[Key, asyncio.Task[Any]] = Cancellations()
        self._tasks: set[asyncio.Task[None]] = set()
        self._freed = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._stopping = False
        """Set before the runner cancels handlers itself (grace over, or closing): such a
        cancel is not a cancel notice, and leaves the request uncommitted."""

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set; then drain, commit and close the clients."""
        self._producer = self._transport.producer(
            acks="all", enable_idempotence=True, partitioner=MemoPartitioner()
        )
        self._consumer = self._transport.consumer(
            group_id=self.service.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # a request of an aborted batch never happened
        )
        self._commits = GroupCommits(
            self._consumer, interval_s=COMMIT_INTERVAL_S, what=self.service.name, log=log
        )
        try:
            await self._producer.start()
            await self._consumer.start()
            await self._serve(stop)
        finally:
            await self._close()

    async def _serve(self, stop: asyncio.Event) -> None:
        consumer = self.consumer
        if not await self._topic_exists(stop):
            return
        listener = self.commits.listener(on_assigned=_announce)
        consumer.subscribe([self.service.request_topic], listener=listener)
        log.info("service %s: serving %s", self.service.name, self.service.request_topic)
        await self._fetch_until(stop)
        log.info("service %s: stopping, %d in flight", self.service.name, len(self._tasks))
        await self._drain()
        await self.commit()

    async def _topic_exists(self, stop: asyncio.Event) -> bool:
        """Wait until the request topic exists, saying at once (and every minute) that it
        does not and what creates it; False when stopped first. Subscribing to a missing
        topic would serve nothing until the client's next metadata refresh (minutes)
        after someone created it, or let a broker auto-create it with one partition."""
        topic, told_at = self.service.request_topic, -math.inf
        while not stop.is_set():
            if topic in await self.consumer.topics():  # a full listing: creates nothing
                return True
            if time.monotonic() - told_at >= TOPIC_MISSING_REPEAT_S:
                told_at = time.monotonic()
                log.error(MISSING_TOPIC, self.service.name, topic)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TOPIC_POLL_S)
        return False

    async def _close(self) -> None:
        self._stopping = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()

    @property
    def in_flight(self) -> int:
        """Handlers running now."""
        return len(self._tasks)

    @property
    def commits(self) -> GroupCommits:
        assert self._commits is not None, "the runner is not running"
        return self._commits

    @property
    def tracker(self) -> OffsetTracker[TopicPartition]:
        return self.commits.tracker

    @property
    def consumer(self) -> AIOKafkaConsumer:
        assert self._consumer is not None, "the runner is not running"
        return self._consumer

    @property
    def producer(self) -> AIOKafkaProducer:
        assert self._producer is not None, "the runner is not running"
        return self._producer

    # -- fetching and committing ------------------------------------------------

    async def _fetch_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            free = self.service.concurrency - len(self._tasks)
            if free <= 0:
                await self._wait_for_slot()
            else:
                batches = await self.consumer.getmany(timeout_ms=200, max_records=free)
                for partition, records in batches.items():
                    for record in records:
                        self._start(partition, record)
                await self._note_positions()
            await self.commits.commit_if_due()

    async def _note_positions(self) -> None:
        """Every record a fetch returned is started: the consumer's positions may be
        committed once those are done, past the coordinator's transaction markers."""
        consumer = self.consumer
        for partition in consumer.assignment():
            with contextlib.suppress(IllegalStateError):  # revoked meanwhile
                self.tracker.reached(partition, await consumer.position(partition))

    async def _wait_for_slot(self) -> None:
        self._freed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._freed.wait(), timeout=0.2)

    async def commit(self) -> None:
        """Commit what is done (see ``GroupCommits.commit``); nothing before the start."""
        if self._commits is not None:
            await self._commits.commit()

    async def _drain(self) -> None:
        if not self._tasks:
            return
        _, late = await asyncio.wait(set(self._tasks), timeout=self.service.grace_s)
        self._stopping = bool(late)
        for task in late:
            task.cancel()
        if late:
            log.warning(
                "cancelled %d handler(s) still running after %.1fs grace: they will be redelivered",
                len(late),
                self.service.grace_s,
            )
            await asyncio.gather(*late, return_exceptions=True)

    def _start(self, partition: TopicPartition, record: ConsumerRecord[Any, Any]) -> None:
        self.tracker.started(partition, record.offset)
        self.stats.received += 1
        message = self._decode(record)
        if isinstance(message, StepCancelRequested):  # acted on now, in fetch order
            self._cancel(message)
            self.tracker.finished(partition, record.offset)
            return
        task = asyncio.create_task(self._process((partition, record.offset), record, message))
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _decode(self, record: ConsumerRecord[Any, Any]) -> Message:
        size, limit = len(record.value or b""), self.service.max_message_bytes
        if size > limit:
            return RequestTooLarge(size, limit)
        try:
            event = self.codec.decode_event(record.value)
        except CodecError as exc:
            return exc
        if isinstance(event, StepRequested | StepCancelRequested):
            return event
        return WrongEventTypeError(event.avro_name, _ACCEPTED)

    def _cancel(self, notice: StepCancelRequested) -> None:
        key = (notice.run_id, notice.step, notice.attempt)
        execution = self._cancels.cancel(key)
        where = f"{notice.run_id}/{notice.step}#{notice.attempt}"
        if execution is None:
            log.info("cancel for %s, not running here: it will be skipped if it comes", where)
            return
        log.info("cancelling %s: %s", where, notice.reason or "no reason given")
        execution.cancel(f"cancel notice for {where}")

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._freed.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("record processing crashed", exc_info=task.exception())

    def _finish(self, tokens: Sequence[Token]) -> None:
        for partition, offset in tokens:
            self.tracker.finished(partition, offset)

    # -- one record -------------------------------------------------------------

    async def _process(
        self, token: Token, record: ConsumerRecord[Any, Any], message: StepRequested | CodecError
    ) -> None:
        if isinstance(message, CodecError):
            if await self._dead_letter(record, message):
                self._finish([token])
            return
        await self._run_once(token, message, record)

    async def _run_once(
        self, token: Token, request: StepRequested, record: ConsumerRecord[Any, Any]
    ) -> None:
        key = (request.run_id, request.step, request.attempt)
        if self._cancels.is_cancelled(key):
            self.stats.skipped += 1
            log.info("request %s was cancelled before it ran: skipped", key)
            self._finish([token])
            return
        if not self._in_flight.claim(key, token):
            self.stats.duplicates += 1
            log.info("duplicate request %s while in flight: runs once", key)
            return
        sent = False
        try:
            sent = await self._serve_request(request, record)
        except KafkaError:
            raise  # not the record's fault: it stays uncommitted, redelivered
        except Exception as exc:  # our bug, met on this record: its DLQ entry, not a stall
            log.exception("serving %s failed", key)
            sent = await self._dead_letter(record, exc)
        finally:
            followers = self._in_flight.release(key)
        if sent:
            self._finish([token, *followers])

    async def _dead_letter(
        self,
        record: ConsumerRecord[Any, Any],
        error: BaseException,
        trace: Sequence[tuple[str, bytes]] | None = None,
    ) -> bool:
        """``trace``: the process span's headers (tracing on), whose context the letter carries."""
        log.error(
            "request at %s[%d]@%d cannot be handled (%s): %s; sending it to the DLQ",
            record.topic,
            record.partition,
            record.offset,
            reason_of(error),
            error,
        )
        try:
            await send_dead_letter(
                self.producer,
                record,
                error,
                group=self.service.group_id,
                run_keyed=True,
                max_bytes=self.service.max_message_bytes,
                traceparent=header_value(trace, "traceparent") if trace else None,
            )
        except KafkaError as exc:
            self.stats.unsent += 1
            log.error("DLQ write failed, offset %d stays uncommitted: %s", record.offset, exc)
            return False
        self.stats.dead_lettered += 1
        return True

    async def _serve_request(
        self, request: StepRequested, record: ConsumerRecord[Any, Any]
    ) -> bool:
        """Run the handler and send its result; True once the result is acknowledged, or
        when a cancel notice stopped it (nothing to send: the run no longer needs it).

        A poison request is dead-lettered first: if that fails nothing is sent and it stays
        uncommitted (redelivered); if the result then fails, the redelivery may dead-letter
        it twice (``podium dlq replay`` skips such twins)."""
        headers = record.headers
        key = (request.run_id, request.step, request.attempt)
        result = await self._execute(request, headers, key)
        if result is None or self._cancels.is_cancelled(key):
            self.stats.cancelled += 1
            log.info("%s cancelled by a cancel notice: no result sent", key)
            return True
        if result.poison is not None:
            if not await self._dead_letter(record, result.poison, result.trace):
                return False
            self.stats.poisoned += 1
        if result.schema is StepCompleted:
            self.stats.completed += 1
        else:
            self.stats.failed += 1
        value = self.codec.encode_trusted(result.schema, result.record)  # typed field by field
        sent_headers = headers if result.trace is None else result.trace
        return await self._send_result(value, request, sent_headers)

    async def _execute(
        self, request: StepRequested, headers: Sequence[tuple[str, bytes]], key: Key
    ) -> Result | None:
        """The handler's result, run in this request's own task, which a cancel notice
        cancels while (and only while) the handler runs; None when one did. The runner's
        own cancel (grace over, closing) still raises, so the request stays uncommitted
        and is redelivered."""
        task = asyncio.current_task()
        assert task is not None, "a request is processed in its own task"
        beat = partial(self._heartbeat, request, headers)
        self._cancels.track(key, task)
        try:
            return await run_result(
                self.service, request, headers, heartbeat=beat, worker=self.worker
            )
        except asyncio.CancelledError:
            if self._stopping or not self._cancels.is_cancelled(key):
                raise
            task.uncancel()  # the notice's cancel is handled: this task carries on
            return None
        finally:
            self._cancels.untrack(key)

    async def _send_result(
        self, value: bytes, request: StepRequested, headers: Sequence[tuple[str, bytes]]
    ) -> bool:
        """True once the broker acknowledged the result. A transient failure is retried while
        the service runs (see ``_resend``: giving up would stall the partition's commits);
        a permanent one leaves the request uncommitted, redelivered at the next restart."""
        failures = 0
        while (error := await self._try_send(value, request, headers)) is not None:
            failures += 1
            where = f"{request.run_id}/{request.step}#{request.attempt}"
            if not is_transient(error):
                self.stats.unsent += 1
                log.error("result of %s cannot be sent, left uncommitted: %s", where, error)
                return False
            self.stats.resent += 1
            delay = resend_delay(failures)
            log.warning("result of %s not sent yet (%r), again in %.1fs", where, error, delay)
            await asyncio.sleep(delay)
        return True

    async def _try_send(
        self, value: bytes, request: StepRequested, headers: Sequence[tuple[str, bytes]]
    ) -> KafkaError | None:
        try:
            await self._send(value, request, headers)
        except KafkaError as exc:
            return exc
        return None

    async def _send(
        self, value: bytes, request: StepRequested, headers: Sequence[tuple[str, bytes]]
    ) -> None:
        await self.producer.send_and_wait(
            self.service.results_topic,
            value=value,
            key=request.run_id.encode("utf-8"),
            headers=result_headers(request, headers),
        )

    async def _heartbeat(
        self,
        request: StepRequested,
        headers: Sequence[tuple[str, bytes]],
        progress: Any,
        extend_ms: int | None,
    ) -> None:
        event = heartbeat(
            request, progress=progress, extend_ms=extend_ms, now=_now(), worker=self.worker
        )
        await self._send(self.codec.encode_event(event), request, headers)
