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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka.structs import RecordMetadata, TopicPartition

from podium.coordinator._store import Table


@dataclass
class _Batch:
    acked: asyncio.Future[list[RecordMetadata]]
    reached: dict[TopicPartition, int]
    """Input partition -> the offset after its last record in the batch."""
    changelogs: Sequence[Table[Any]]
    """The table of each changelog record, in the order they end ``acked``'s results."""


class Unacknowledged:
    def __init__(self) -> None:
        self._batches: deque[_Batch] = deque()

    def __len__(self) -> int:
        return len(self._batches)

    def add(
        self,
        messages: Sequence[asyncio.Future[RecordMetadata]],
        changelog: Sequence[tuple[Table[Any], asyncio.Future[RecordMetadata]]],
        reached: dict[TopicPartition, int],
    ) -> None:
        futures = [*messages, *(future for _, future in changelog)]
        acked = asyncio.gather(*futures)
        self._batches.append(_Batch(acked, reached, [table for table, _ in changelog]))

    def settle(self) -> dict[TopicPartition, int]:
        """Pop the acknowledged batches at the head; their input offsets (later batches
        win). Raises a failed batch's error: nothing from it on may be committed."""
        reached: dict[TopicPartition, int] = {}
        while self._batches and self._batches[0].acked.done():
            batch = self._batches.popleft()
            results = batch.acked.result()  # raises the batch's produce error
            _note_written(batch.changelogs, results[len(results) - len(batch.changelogs) :])
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


def _note_written(tables: Sequence[Table[Any]], results: Sequence[RecordMetadata]) -> None:
    """Remember how far this instance wrote each changelog partition (see ``Table``)."""
    for table, meta in zip(tables, results, strict=True):
        table.written_to[meta.partition] = max(
            table.written_to.get(meta.partition, 0), meta.offset + 1
        )
