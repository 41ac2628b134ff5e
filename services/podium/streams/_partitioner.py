"""Kafka's default key partitioning (murmur2, as the Java client), remembered per key.

aiokafka's partitioner hashes in pure Python on every send; a coordinator sends about
eight messages per run id per event, so the hash was ~3% of its CPU. The partition a
key maps to never changes for a given partition count, so a bounded memo returns
the same partition the hash would (co-partitioning with other clients depends on it).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.partitioner import DefaultPartitioner

MEMO_SIZE = 65_536
"""Keys remembered before the memo starts over (run ids are short-lived hot keys)."""


class MemoPartitioner:
    """A drop-in ``partitioner`` for AIOKafkaProducer: DefaultPartitioner, memoized."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._size = size
        self._memo: dict[tuple[bytes, int], int] = {}
        self._hash = DefaultPartitioner()

    def __call__(
        self, key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]
    ) -> int:
        if key is None:  # spread: no memo
            return int(self._hash(key, all_partitions, available))
        memo_key = (key, len(all_partitions))
        partition = self._memo.get(memo_key)
        if partition is None:
            if len(self._memo) >= self._size:
                self._memo.clear()
            partition = self._memo[memo_key] = int(self._hash(key, all_partitions, available))
        return partition
