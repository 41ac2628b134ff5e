"""What a transaction's batches wrote, once the broker acknowledged them.

A poll is one Kafka transaction (see ``_engine``). Before it commits, every batch it
handed to the producer must be acknowledged: a batch the producer gave up on must abort
the transaction, never let the rest of it (the changelog record of the state it caused,
the input offsets) commit without it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence

from aiokafka.structs import RecordMetadata, TopicPartition

from podium.streams._outbox import Handed


async def acknowledged(handed: Sequence[Handed]) -> list[RecordMetadata]:
    """Every batch's metadata, in order; raises the first batch's produce error."""
    return list(await asyncio.gather(*(batch.future for batch in handed)))


def written_ends(
    handed: Sequence[Handed], results: Sequence[RecordMetadata], topics: Collection[str]
) -> dict[TopicPartition, int]:
    """How far the batches wrote each partition of ``topics``: the offset just past their
    last record there (a batch's metadata holds its first offset)."""
    ends: dict[TopicPartition, int] = {}
    for batch, meta in zip(handed, results, strict=True):
        if meta.topic in topics:
            tp = TopicPartition(meta.topic, meta.partition)
            ends[tp] = max(ends.get(tp, 0), meta.offset + batch.records)
    return ends
