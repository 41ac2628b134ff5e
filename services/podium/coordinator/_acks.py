"""Batches sent but not yet acknowledged, oldest first.

The engine does not wait for a batch's acknowledgements before it fetches the next
batch (that wait, a produce round trip per poll, was most of a busy coordinator's
latency). Its offsets count as processed only once the broker acknowledged every
message the batch caused, and batches settle strictly in order: a later batch whose
messages happened to be acknowledged first must not let a commit pass an earlier one.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.structs import RecordMetadata, TopicPartition

from podium.coordinator._outbox import Handed
from podium.coordinator._store import Table


@dataclass
class _Batch:
    acked: asyncio.Future[list[RecordMetadata]]
    reached: dict[TopicPartition, int]
    """Input partition -> the offset after its last record in the batch."""
    records: Sequence[int]
    """How many records each of ``acked``'s producer batches holds."""


class Unacknowledged:
    """``tables`` by changelog topic: their ``written_to`` follows what is acknowledged."""

    def __init__(self, tables: Mapping[str, Table[Any]]) -> None:
        self._tables = tables
        self._batches: deque[_Batch] = deque()

    def __len__(self) -> int:
        return len(self._batches)

    def add(self, handed: Sequence[Handed], reached: dict[TopicPartition, int]) -> None:
        """One poll: the producer batches it caused, and how far it read each input."""
        acked = asyncio.gather(*(batch.future for batch in handed))
        self._batches.append(_Batch(acked, reached, [batch.records for batch in handed]))

    def settle(self) -> dict[TopicPartition, int]:
        """Pop the acknowledged batches at the head; their input offsets (later batches
        win). Raises a failed batch's error: nothing from it on may be committed."""
        reached: dict[TopicPartition, int] = {}
        while self._batches and self._batches[0].acked.done():
            batch = self._batches.popleft()
            results = batch.acked.result()  # raises the batch's produce error
            self._note_written(results, batch.records)
            reached.update(batch.reached)
        return reached

    async def oldest(self) -> None:
        """Wait until the oldest batch is acknowledged (or failed)."""
        if self._batches:
            await asyncio.wait([self._batches[0].acked])

    async def drain(self) -> dict[TopicPartition, int]:
        """Wait for every batch, then settle them all."""
        if self._batches:
            await asyncio.wait([batch.acked for batch in self._batches])
        return self.settle()

    def _note_written(self, results: Sequence[RecordMetadata], records: Sequence[int]) -> None:
        """Remember how far this instance wrote each changelog partition (see ``Table``):
        a producer batch's metadata holds its first offset."""
        for meta, count in zip(results, records, strict=True):
            table = self._tables.get(meta.topic)
            if table is not None:
                end = meta.offset + count
                table.written_to[meta.partition] = max(table.written_to.get(meta.partition, 0), end)
