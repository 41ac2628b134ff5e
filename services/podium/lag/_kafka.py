"""The Kafka side of the lag monitor: one look at the cluster's consumer groups.

Thin on purpose: it lists the groups, their members, their committed offsets and the
log-end offsets, and reads the record at a lagging partition's committed offset for its
timestamp (the age of the oldest unconsumed message, exact rather than interpolated).
Every decision is in ``_status`` and ``_mapping``; time is passed in by the caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from podium.dlq import DLQ_SUFFIX
from podium.errors import BrokerError
from podium.lag._dlq import DlqRead, read_from
from podium.lag._model import PartitionSample
from podium.streams import KafkaTransport

# A record at the committed offset is read only for its timestamp: fetch little.
_PEEK_FETCH_BYTES = 64 * 1024


@dataclass(frozen=True)
class GroupOffsets:
    """What the broker says of one group: live members and committed offsets."""

    group: str
    members: int
    committed: Mapping[TopicPartition, int]


class KafkaLagSource:
    """Reads groups and offsets over a started admin client and a group-less consumer."""

    def __init__(
        self,
        admin: AIOKafkaAdminClient,
        consumer: AIOKafkaConsumer,
        letters: AIOKafkaConsumer | None = None,
    ) -> None:
        self._admin = admin
        self._consumer = consumer
        self._letters = letters
        """A ``read_committed`` consumer for the DLQs (None: no DLQ depth)."""
        self._peek = asyncio.Lock()  # one seek-and-read at a time on the shared consumer

    async def group_names(self) -> list[str]:
        """Every consumer group of the ``consumer`` protocol (Connect workers etc. left out)."""
        listed = await self._admin.list_consumer_groups()
        return sorted({entry[0] for entry in listed if entry[1] in ("consumer", "")})

    async def offsets(self, groups: Sequence[str]) -> list[GroupOffsets]:
        """Members and committed offsets of ``groups`` (a group with none is left out)."""
        if not groups:
            return []
        members = await self._members(groups)
        found = await asyncio.gather(*(self._admin.list_consumer_group_offsets(g) for g in groups))
        return [
            GroupOffsets(group, members.get(group, 0), _committed(offsets))
            for group, offsets in zip(groups, found, strict=True)
            if _committed(offsets)
        ]

    async def _members(self, groups: Sequence[str]) -> dict[str, int]:
        # One group per request: aiokafka 0.14 cannot decode a DescribeGroups answer that
        # names several groups from Kafka 4 (a buffer underrun, then a dropped connection).
        answers = await asyncio.gather(*(self._admin.describe_consumer_groups([g]) for g in groups))
        counts: dict[str, int] = {}
        for response in (r for responses in answers for r in responses):
            for described in response.to_object()["groups"]:
                counts[described["group"]] = len(described["members"])
        return counts

    async def end_offsets(self, partitions: Iterable[TopicPartition]) -> dict[TopicPartition, int]:
        wanted = sorted(set(partitions))
        if not wanted:
            return {}
        return dict(await self._consumer.end_offsets(wanted))

    async def timestamps_at(
        self,
        offsets: Mapping[TopicPartition, int],
        ends: Mapping[TopicPartition, int],
        timeout_s: float,
    ) -> dict[TopicPartition, int | None]:
        """The timestamp (ms) of the first record at or after each offset, or None when
        there is none before the partition's end (only transaction markers are left).
        A partition whose record does not arrive within ``timeout_s`` is left out (its
        lag seconds unknown)."""
        if not offsets:
            return {}
        async with self._peek:
            self._consumer.assign(list(offsets))
            for partition, offset in offsets.items():
                self._consumer.seek(partition, offset)
            found = await self._first_timestamps(set(offsets), ends, timeout_s)
            self._consumer.pause(*offsets)  # no background fetching until the next peek
            return found

    async def _first_timestamps(
        self, waiting: set[TopicPartition], ends: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, int | None]:
        stamps: dict[TopicPartition, int | None] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while waiting and (left := deadline - loop.time()) > 0:
            batches = await self._consumer.getmany(*waiting, timeout_ms=int(left * 1000))
            for partition, records in batches.items():
                if records and partition in waiting:
                    stamps[partition] = records[0].timestamp
                    waiting.discard(partition)
                    self._consumer.pause(partition)
            for partition in list(waiting):  # read past the end: nothing but markers
                if await self._consumer.position(partition) >= ends.get(partition, 0):
                    stamps[partition] = None
                    waiting.discard(partition)
                    self._consumer.pause(partition)
        return stamps

    async def read_dlqs(
        self, positions: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, DlqRead]:
        """Every ``.dlq`` partition read on from ``positions`` to its last stable offset,
        or for ``timeout_s``: the offsets of the letters found, and where the read got."""
        letters = self._letters
        if letters is None:
            return {}
        partitions = await self._dlq_partitions()
        if not partitions:
            return {}
        beginnings = await letters.beginning_offsets(partitions)
        ends = await letters.end_offsets(partitions)
        letters.assign(partitions)
        for tp in partitions:
            letters.seek(tp, read_from(positions.get(tp), beginnings[tp]))
        found = await _read_until(letters, ends, timeout_s)
        reached = {tp: await letters.position(tp) for tp in partitions}
        # paused until the next read: an idle assignment keeps fetching in the background,
        # and aiokafka's stop() can then hang on those fetches (unsubscribe() breaks its
        # fetcher after a manual assign)
        letters.pause(*partitions)
        return {
            tp: DlqRead(beginnings[tp], ends[tp], reached[tp], found.get(tp, ()))
            for tp in partitions
        }

    async def _dlq_partitions(self) -> list[TopicPartition]:
        # the admin client's full metadata: the consumer's own only knows assigned topics
        topics = sorted(t for t in await self._admin.list_topics() if t.endswith(DLQ_SUFFIX))
        described = await self._admin.describe_topics(topics) if topics else []
        return sorted(
            TopicPartition(d["topic"], p["partition"])
            for d in described
            if not d["error_code"]
            for p in d["partitions"]
        )


async def _read_until(
    consumer: AIOKafkaConsumer, ends: Mapping[TopicPartition, int], timeout_s: float
) -> dict[TopicPartition, tuple[int, ...]]:
    """Offsets of the records read on each partition until its end (or the timeout)."""
    found: dict[TopicPartition, list[int]] = {}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (left := deadline - loop.time()) > 0:
        behind = [tp for tp, end in ends.items() if await consumer.position(tp) < end]
        if not behind:
            break
        batches = await consumer.getmany(*behind, timeout_ms=int(left * 1000))
        for tp, records in batches.items():
            found.setdefault(tp, []).extend(r.offset for r in records if r.offset < ends[tp])
    return {tp: tuple(offsets) for tp, offsets in found.items()}


def _committed(offsets: Mapping[TopicPartition, Any]) -> dict[TopicPartition, int]:
    """Offsets the group really committed (``-1`` means none for that partition)."""
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


def partition_samples(
    committed: Mapping[TopicPartition, int],
    ends: Mapping[TopicPartition, int],
    stamps: Mapping[TopicPartition, int | None],
) -> tuple[PartitionSample, ...]:
    """One group's partitions; a partition whose end is unknown (topic gone) is left out.
    A stamp of None says only transaction markers follow the committed offset."""
    return tuple(
        PartitionSample(
            tp.topic,
            tp.partition,
            offset,
            ends[tp],
            stamps.get(tp),
            markers_only=tp in stamps and stamps[tp] is None,
        )
        for tp, offset in sorted(committed.items())
        if tp in ends
    )


@asynccontextmanager
async def open_lag_source(client_kwargs: Mapping[str, Any]) -> Any:
    """A started :class:`KafkaLagSource` for the cluster in ``client_kwargs``."""
    address = client_kwargs.get("bootstrap_servers")
    async with AsyncExitStack() as stack:
        admin = AIOKafkaAdminClient(**client_kwargs)
        stack.push_async_callback(admin.close)
        consumer = KafkaTransport(client_kwargs).consumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=_PEEK_FETCH_BYTES,
        )
        stack.push_async_callback(consumer.stop)
        letters = KafkaTransport(client_kwargs).consumer(
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # aborted letters are no letters
        )
        stack.push_async_callback(letters.stop)
        try:
            await admin.start()
            await consumer.start()
            await letters.start()
        except KafkaConnectionError as exc:
            raise BrokerError(
                f"cannot reach Kafka at {address}: is it running? (`podium broker status`)",
                retryable=True,
            ) from exc
        yield KafkaLagSource(admin, consumer, letters)
