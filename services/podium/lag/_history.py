"""The last hour of each group's lag, for the dashboard's chart. Pure.

The monitor keeps only its sliding window for the status; a chart over an hour needs
the totals of every sample in that hour, so each report is folded into this history
(one point per group per sample: about 720 an hour at the default 5 s cadence).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podium.lag._model import LagReport

DEFAULT_KEEP_S = 3600.0


@dataclass(frozen=True)
class LagPoint:
    """One group's total lag at one sample."""

    taken_at: float
    lag_messages: int
    lag_seconds: float | None


History = Mapping[str, tuple[LagPoint, ...]]


def with_report(history: History, report: LagReport, keep_s: float = DEFAULT_KEEP_S) -> History:
    """``history`` with ``report``'s points added and every point older than ``keep_s``
    before the report dropped (a group no longer reported fades out the same way)."""
    oldest = report.taken_at - keep_s
    points = {
        group: tuple(p for p in kept if p.taken_at >= oldest) for group, kept in history.items()
    }
    for group in report.groups:
        point = LagPoint(report.taken_at, group.lag_messages, group.lag_seconds)
        points[group.group] = (*points.get(group.group, ()), point)
    return {group: kept for group, kept in points.items() if kept}
