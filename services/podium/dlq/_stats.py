"""Counts of dead letters by topic and reason (pure): what ``podium dlq stats`` shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from podium.dlq._entry import DlqEntry


@dataclass(frozen=True, slots=True)
class ReasonCount:
    topic: str
    reason: str
    count: int
    oldest: datetime | None
    """When the oldest of them failed (None when no header or timestamp says)."""


def count_by_reason(entries: Iterable[DlqEntry]) -> list[ReasonCount]:
    """One row per (DLQ topic, reason), sorted; the oldest failure time of each."""
    counts: dict[tuple[str, str], ReasonCount] = {}
    for entry in entries:
        key = (entry.topic, entry.reason)
        before = counts.get(key, ReasonCount(entry.topic, entry.reason, 0, None))
        counts[key] = ReasonCount(
            entry.topic, entry.reason, before.count + 1, _earliest(before.oldest, entry.failed_at)
        )
    return [counts[key] for key in sorted(counts)]


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return min(a, b)
