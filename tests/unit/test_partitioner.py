"""The memoized partitioner picks exactly the partition Kafka's default one picks."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from podium.streams._partitioner import MemoPartitioner


@given(st.lists(st.binary(max_size=40), max_size=50), st.integers(min_value=1, max_value=64))
def test_same_partition_as_the_default_partitioner(keys: list[bytes], count: int) -> None:
    partitions = list(range(count))
    memo, default = MemoPartitioner(size=8), DefaultPartitioner()
    for key in keys + keys:  # the second pass is answered from the memo
        assert memo(key, partitions, partitions) == default(key, partitions, partitions)


def test_the_partition_count_is_part_of_the_memo() -> None:
    memo, default = MemoPartitioner(), DefaultPartitioner()
    for count in (6, 12):
        partitions = list(range(count))
        assert memo(b"run-1", partitions, partitions) == default(b"run-1", partitions, partitions)
