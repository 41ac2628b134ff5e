"""The tail of a DLQ topic: which offsets to read, how deep it is, newest first. Pure.

A dashboard page shows the latest dead letters, so it reads only the last ``limit``
offsets of each partition, not the whole topic. Offsets are not letters one for one
(the coordinator writes its letters in transactions, and each commit marker takes an
offset), so the depth is a count of letters where the tail reached a partition's
start, and the partition's offset span, an upper bound, where it did not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from podium.dlq._entry import DlqEntry

_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Span:
    """One partition of a DLQ when read: its first and end offsets, where reading began."""

    beginning: int
    end: int
    start: int

    @property
    def whole(self) -> bool:
        """Whether the read covers the partition from its first retained offset."""
        return self.start <= self.beginning


@dataclass(frozen=True, slots=True)
class DlqTail:
    """The latest letters of a DLQ topic (newest first) and how many it holds."""

    topic: str
    letters: list[DlqEntry]
    depth: int
    depth_exact: bool
    """False where a partition's tail did not reach its start: ``depth`` counts its
    offsets there, transaction markers included, so it is an upper bound."""


def tail_start(beginning: int, end: int, limit: int) -> int:
    """Where to read a partition from to get its last ``limit`` offsets."""
    return max(beginning, end - max(limit, 0))


def tail_of(topic: str, spans: Mapping[int, Span], read: Iterable[DlqEntry], limit: int) -> DlqTail:
    """The ``limit`` newest of the letters ``read`` from the partitions' ``spans``."""
    letters = newest_first(read)
    counted = {p: sum(e.partition == p for e in letters) for p in spans}
    depth = sum(counted[p] if s.whole else s.end - s.beginning for p, s in spans.items())
    exact = all(s.whole for s in spans.values())
    return DlqTail(topic, letters[: max(limit, 0)], depth, exact)


def newest_first(letters: Iterable[DlqEntry]) -> list[DlqEntry]:
    """By failure time, latest first; a partition's later offset first on a tie."""
    return sorted(
        letters, key=lambda e: (e.failed_at or _NEVER, e.offset, e.partition), reverse=True
    )
