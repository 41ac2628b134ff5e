"""Which offsets may be committed: pure bookkeeping, no Kafka.

Handlers finish out of order, but a Kafka commit says "everything below this
offset is done". So per partition we remember the offsets started and not yet
finished; the commit position is the lowest unfinished one, or one past the
highest finished when nothing is unfinished. Offsets never started (gaps left
by compaction or transaction markers, or records after a shutdown) are below no
unfinished offset only when they really were skipped: records are started in
fetch order, which is offset order within a partition.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

P = TypeVar("P", bound=Hashable)


@dataclass
class _Partition:
    unfinished: set[int] = field(default_factory=set)
    next_offset: int | None = None
    """One past the highest offset started; the position once nothing is unfinished."""
    committed: int | None = None

    def position(self) -> int | None:
        if self.unfinished:
            return min(self.unfinished)
        return self.next_offset


class OffsetTracker(Generic[P]):
    """Per-partition offsets started/finished, and the highest safe commit position."""

    def __init__(self) -> None:
        self._partitions: dict[P, _Partition] = {}

    def started(self, partition: P, offset: int) -> None:
        """``offset`` was taken from ``partition`` (in fetch order) and is not done yet."""
        state = self._partitions.get(partition)
        if state is None:
            # The group already resumes at the first offset we get: nothing new to commit.
            state = self._partitions[partition] = _Partition(committed=offset)
        state.unfinished.add(offset)
        state.next_offset = max(offset + 1, state.next_offset or 0)

    def reached(self, partition: P, position: int) -> None:
        """The consumer's position after a fetch whose records were all started: nothing
        below it is left to start. It can be past the last record started (the commit
        marker of the transaction that wrote it), so the group's lag can reach 0."""
        state = self._partitions.setdefault(partition, _Partition())
        if state.next_offset is None or position > state.next_offset:
            state.next_offset = position

    def finished(self, partition: P, offset: int) -> None:
        """``offset`` is done (its result acknowledged); unknown partitions are ignored."""
        state = self._partitions.get(partition)
        if state is not None:
            state.unfinished.discard(offset)

    def committable(self) -> dict[P, int]:
        """Commit positions that moved since the last :meth:`committed`."""
        ready: dict[P, int] = {}
        for partition, state in self._partitions.items():
            position = state.position()
            if position is not None and position != state.committed:
                ready[partition] = position
        return ready

    def committed(self, positions: dict[P, int]) -> None:
        """The broker acknowledged these positions."""
        for partition, position in positions.items():
            state = self._partitions.get(partition)
            if state is not None:
                state.committed = position

    def forget(self, partitions: Iterable[P]) -> None:
        """Partitions revoked: later completions there no longer matter to us."""
        for partition in partitions:
            self._partitions.pop(partition, None)

    def unfinished(self) -> int:
        """How many started offsets are not finished, over all partitions."""
        return sum(len(state.unfinished) for state in self._partitions.values())
