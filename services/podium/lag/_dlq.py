"""Dead-letter queue depth: how many letters each ``<topic>.dlq`` holds. Pure.

A DLQ's log-end minus log-start offset is not its letter count: the coordinator writes
its letters in transactions, and every commit marker takes an offset too. So the monitor
reads the letters (``read_committed``, from where it stopped last time) and keeps the
offsets it has seen per partition; retention moving a partition's start drops the
offsets before it. A letter stays counted after ``podium dlq replay``: replaying copies
it back, it does not delete it (depth is what the DLQ retains, as ``podium dlq list``
shows).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from podium.lag._model import DlqDepth


@dataclass(frozen=True)
class DlqRead:
    """One read of a DLQ partition: its start and end (last stable offset) when read, how
    far the read got, and the offsets of the letters found on the way."""

    beginning: int
    end: int
    reached: int
    offsets: tuple[int, ...] = ()

    @property
    def caught_up(self) -> bool:
        return self.reached >= self.end


@dataclass
class DlqTally:
    """The letters seen on one partition (ascending offsets) and where to read on from."""

    position: int = 0
    offsets: list[int] = field(default_factory=list)
    caught_up: bool = False


def fold(tally: DlqTally, read: DlqRead) -> DlqTally:
    """``tally`` after ``read``: letters before the partition's start are gone."""
    kept = tally.offsets[bisect_left(tally.offsets, read.beginning) :]
    fresh = [o for o in read.offsets if not kept or o > kept[-1]]
    position = max(read.reached, read.beginning)
    return DlqTally(position, kept + fresh, read.caught_up)


def read_from(position: int | None, beginning: int) -> int:
    """Where the next read of a partition starts: on from the last, never before its start."""
    return beginning if position is None else max(position, beginning)


def depths(tallies: Mapping[TopicPartition, DlqTally]) -> tuple[DlqDepth, ...]:
    """Letters per DLQ topic, sorted; ``complete`` once every partition was read to its end."""
    by_topic: dict[str, list[DlqTally]] = {}
    for tp, tally in tallies.items():
        by_topic.setdefault(tp.topic, []).append(tally)
    return tuple(
        DlqDepth(topic, sum(len(t.offsets) for t in parts), all(t.caught_up for t in parts))
        for topic, parts in sorted(by_topic.items())
    )
