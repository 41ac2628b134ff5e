"""Cron ticks in a time window (pure; UTC).

The runner asks for the ticks in consecutive windows ``(after, until]``;
because a window excludes its start and includes its end, consecutive windows
neither lose nor repeat a tick (a property test pins this).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from croniter import croniter

MAX_TICKS = 10_000
"""Ticks returned for one window at most: a guard against a runaway window."""


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def cron_ticks(
    schedule: str, after: datetime, until: datetime, *, limit: int = MAX_TICKS
) -> list[datetime]:
    """The ticks of ``schedule`` (5 fields or an ``@alias``, UTC) with ``after < tick <= until``.

    Ticks are timezone-aware UTC datetimes, oldest first, at most ``limit``.
    Raises ValueError for a schedule croniter cannot read (pipeline validation
    rejects those before they are published).
    """
    start, end = utc(after), utc(until)
    ticks: list[datetime] = []
    schedule_iter = croniter(schedule.strip(), start)
    while len(ticks) < limit:
        tick = utc(schedule_iter.get_next(datetime))
        if tick > end:
            break
        ticks.append(tick)
    return ticks


def cron_window(
    checked_until: datetime | None, now: datetime, catch_up: timedelta
) -> tuple[datetime, datetime]:
    """The window ``(after, now]`` to look for ticks in, given where the last look ended.

    ``catch_up`` is a starting deadline: a tick older than that is skipped,
    never started late. So a fresh instance starts the ticks of the last
    ``catch_up`` (a tick due during a restart still runs), and an instance that
    was stalled (broker down) does not flood the cluster with old ticks.
    """
    earliest = utc(now) - catch_up
    if checked_until is None:
        return earliest, utc(now)
    return max(utc(checked_until), earliest), utc(now)
