"""Cron ticks in windows (after, until]: none lost or repeated between consecutive windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.triggers._cron import cron_ticks, cron_window

T0 = datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC)


def test_every_minute_in_a_window() -> None:
    ticks = cron_ticks("* * * * *", T0, T0 + timedelta(minutes=3))
    assert ticks == [datetime(2025, 3, 1, 12, m, tzinfo=UTC) for m in (1, 2, 3)]


def test_the_window_excludes_its_start_and_includes_its_end() -> None:
    on_tick = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert cron_ticks("* * * * *", on_tick, on_tick + timedelta(minutes=1)) == [
        on_tick + timedelta(minutes=1)
    ]


def test_aliases_and_utc_whatever_the_inputs_timezone() -> None:
    plus5 = timezone(timedelta(hours=5))
    after = datetime(2025, 3, 1, 3, 0, tzinfo=plus5)  # 2025-02-28 22:00 UTC
    ticks = cron_ticks("@daily", after, after + timedelta(days=1))
    assert ticks == [datetime(2025, 3, 1, 0, 0, tzinfo=UTC)]
    assert ticks[0].tzinfo == UTC


def test_a_window_with_no_tick_is_empty() -> None:
    assert cron_ticks("0 0 1 1 *", T0, T0 + timedelta(days=2)) == []


def test_a_runaway_window_is_capped() -> None:
    assert len(cron_ticks("* * * * *", T0, T0 + timedelta(days=30), limit=5)) == 5


def test_a_bad_schedule_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        cron_ticks("every minute", T0, T0 + timedelta(minutes=1))


def test_a_fresh_instance_looks_back_the_catch_up_window() -> None:
    assert cron_window(None, T0, timedelta(seconds=60)) == (T0 - timedelta(seconds=60), T0)


def test_later_windows_start_where_the_last_ended() -> None:
    checked = T0 - timedelta(seconds=1)
    assert cron_window(checked, T0, timedelta(seconds=60)) == (checked, T0)


def test_ticks_older_than_the_catch_up_window_are_skipped_after_a_stall() -> None:
    stalled = T0 - timedelta(hours=1)
    assert cron_window(stalled, T0, timedelta(seconds=60))[0] == T0 - timedelta(seconds=60)


schedules = st.sampled_from(["* * * * *", "*/7 * * * *", "0 * * * *", "15 3 * * 1-5", "@hourly"])
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=6))


@settings(max_examples=60)
@given(schedules, moments, spans, spans)
def test_consecutive_windows_neither_lose_nor_repeat_a_tick(
    schedule: str, start: datetime, first: timedelta, second: timedelta
) -> None:
    middle, end = start + first, start + first + second
    whole = cron_ticks(schedule, start, end)
    assert cron_ticks(schedule, start, middle) + cron_ticks(schedule, middle, end) == whole


@settings(max_examples=60)
@given(schedules, moments, spans)
def test_ticks_are_ordered_inside_the_window_and_on_the_schedule(
    schedule: str, start: datetime, span: timedelta
) -> None:
    ticks = cron_ticks(schedule, start, start + span)
    assert ticks == sorted(set(ticks))
    assert all(start < tick <= start + span for tick in ticks)
    assert all(croniter.match(schedule, tick) for tick in ticks)
