"""Which partitions the coordinator's consumer rewinds itself after a rebalance."""

from __future__ import annotations

from faust.types import TP

from podium.coordinator._consumer import never_committed


def test_partitions_without_a_committed_offset_above_zero_are_rewound() -> None:
    committed = {
        TP("runs", 0): None,  # never committed: aiokafka does not move it
        TP("runs", 1): 0,  # committed at 0: aiokafka does not move it either
        TP("runs", 2): 7,  # aiokafka seeks this one itself
        TP("runs-changelog", 0): None,  # positioned by table recovery, not here
    }
    inputs = {"runs"}

    assert never_committed(committed, inputs.__contains__) == [TP("runs", 0), TP("runs", 1)]
