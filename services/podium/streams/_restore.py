"""Reading a table's partitions back from its changelog (on assignment).

A store held already is kept when the changelog's end shows that nobody else wrote the
partition since this instance did (``stale_partitions``); the others are rebuilt from
the log's start up to the end offset taken when the read began.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord, TopicPartition

from podium.streams._store import Table, stale_partitions
from podium.streams._transport import Transport


async def restore(transport: Transport, table: Table[Any], partitions: set[int]) -> int:
    """Make ``table``'s stores for ``partitions`` current; returns the records applied."""
    # read_committed: an aborted batch's changelog records never happened
    reader = transport.consumer(enable_auto_commit=False, isolation_level="read_committed")
    await reader.start()
    try:
        wanted = [TopicPartition(table.changelog, partition) for partition in partitions]
        ends = {tp.partition: end for tp, end in (await reader.end_offsets(wanted)).items()}
        stale = stale_partitions(table, partitions, ends)
        return await read_changelog(reader, table, {p: ends[p] for p in stale})
    finally:
        await reader.stop()


async def read_changelog(reader: AIOKafkaConsumer, table: Table[Any], ends: dict[int, int]) -> int:
    """Rebuild ``table``'s stores for the partitions in ``ends`` from offset 0 (or the log
    start) up to ``ends``; returns how many records were applied."""
    for partition in ends:
        table.new_store(partition)
    partitions = [TopicPartition(table.changelog, p) for p, end in ends.items() if end > 0]
    for partition, end in ends.items():
        table.written_to[partition] = end
    if not partitions:
        return 0
    reader.assign(partitions)
    await reader.seek_to_beginning(*partitions)
    applied = 0
    while not await _reached(reader, partitions, ends):
        batches = await reader.getmany(timeout_ms=500)
        for tp, records in batches.items():
            store = table.stores[tp.partition]
            for record in _before(records, ends[tp.partition]):
                if record.key is not None:  # every changelog record we write has one
                    store.restore(record.key.decode(), record.value)
                    applied += 1
    return applied


def _before(
    records: Iterable[ConsumerRecord[bytes, bytes]], end: int
) -> Iterable[ConsumerRecord[bytes, bytes]]:
    return (record for record in records if record.offset < end)


async def _reached(
    reader: AIOKafkaConsumer, partitions: Sequence[TopicPartition], ends: dict[int, int]
) -> bool:
    for tp in partitions:
        if await reader.position(tp) < ends[tp.partition]:
            return False
    return True
