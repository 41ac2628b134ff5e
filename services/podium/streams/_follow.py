"""Following a whole topic without a consumer group: the registry and the run read model.

Both keep an in-memory view of a topic: read from its beginning to its end as of the
start ("caught up"), then followed for as long as they live. A reader that fails while
following keeps serving what it has and retries (the broker may come back); it says since
when it has been failing.

The caller gives the partition count: it must come from a full metadata listing
(``podium.topics.describe_topic``), since naming a missing topic to the broker could let
it auto-create the topic with the wrong settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from podium.errors import BrokerError
from podium.streams._transport import Transport

Ends = dict[TopicPartition, int]
Batch = Mapping[TopicPartition, Iterable[Any]]
Take = Callable[[Batch], Awaitable[None]]

_RETRY_DELAY_S = 1.0


class TopicFollower:
    """Reads every partition of ``topic`` into ``take``: :meth:`catch_up`, then
    :meth:`follow`; ``what`` names the topic in errors and logs."""

    def __init__(
        self,
        transport: Transport,
        topic: str,
        partitions: int,
        take: Take,
        *,
        what: str,
        poll_ms: int,
        log: logging.Logger,
    ) -> None:
        self.topic = topic
        self.failing_since: float | None = None
        """When reading started to fail while following (monotonic), None when healthy."""
        self._transport = transport
        self._partitions = partitions
        self._take = take
        self._what = what
        self._poll_ms = poll_ms
        self._log = log
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def following(self) -> bool:
        return self._task is not None and not self._task.done()

    async def catch_up(self, timeout: float, since_ms: int | None = None) -> None:
        """Read from the beginning (or from the first record timestamped ``since_ms`` or
        later) to the end offsets as of now (TimeoutError past ``timeout`` seconds;
        BrokerError when the topic cannot be read at all)."""
        consumer, ends = await open_from_beginning(
            self._transport, self.topic, self._partitions, self._what, since_ms
        )
        self._consumer = consumer
        async with asyncio.timeout(timeout):
            while not await _reached(consumer, ends):
                await self._take(await consumer.getmany(timeout_ms=self._poll_ms))

    def follow(self) -> None:
        """Keep reading in the background (after :meth:`catch_up`)."""
        assert self._consumer is not None, "catch up first"
        self._task = asyncio.create_task(self._follow_forever(self._consumer))

    async def stop(self) -> None:
        """Stop following and close the consumer; safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()

    async def _follow_forever(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=self._poll_ms)
            except KafkaError as exc:  # keep serving what we have; the broker may come back
                self.failing_since = self.failing_since or time.monotonic()
                self._log.warning("reading %s %s failed, retrying: %s", self._what, self.topic, exc)
                await asyncio.sleep(_RETRY_DELAY_S)
                continue
            self.failing_since = None
            await self._take(batch)


async def open_from_beginning(
    transport: Transport, topic: str, partitions: int, what: str, since_ms: int | None = None
) -> tuple[AIOKafkaConsumer, Ends]:
    """A started consumer on every partition of ``topic``, at the beginning (or at each
    partition's first record timestamped ``since_ms`` or later), with the end offsets as of
    now (what "caught up" means); ``what`` names the topic in errors."""
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = transport.consumer(
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # the coordinator writes in transactions
    )
    try:
        await consumer.start()
        consumer.assign(assigned)
        ends: Ends = await consumer.end_offsets(assigned)
        if since_ms is None:
            await consumer.seek_to_beginning(*assigned)
        else:
            await _seek_to_time(consumer, ends, since_ms)
    except KafkaError as exc:
        await consumer.stop()
        raise BrokerError(f"cannot read {what} {topic}: {exc}", retryable=True) from exc
    except BaseException:
        await consumer.stop()
        raise
    return consumer, ends


async def _seek_to_time(consumer: AIOKafkaConsumer, ends: Ends, since_ms: int) -> None:
    """Each partition at its first record timestamped ``since_ms`` or later (at its end
    when it has none)."""
    found = await consumer.offsets_for_times({tp: since_ms for tp in ends})
    for tp, end in ends.items():
        at = found.get(tp)
        consumer.seek(tp, end if at is None else at.offset)


async def _reached(consumer: AIOKafkaConsumer, ends: Ends) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
