"""The lag monitor's pure decisions: windows, status rules, rate, drain time, lag age."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.lag import LagStatus
from podium.lag._model import GroupIdentity, GroupRole, GroupSample, PartitionSample
from podium.lag._status import (
    commits_moved,
    eta,
    group_lag,
    partition_lag,
    rate,
    slide,
    span,
    status,
)

WINDOW_S = 60.0


def sample(
    at: float, committed: int, end: int, members: int = 1, stamp_ms: int | None = None
) -> GroupSample:
    return GroupSample("g", at, members, (PartitionSample("t", 0, committed, end, stamp_ms),))


offsets = st.integers(min_value=0, max_value=1_000)


@st.composite
def windows(draw: st.DrawFn) -> list[GroupSample]:
    """Samples 1..20 s apart, committed never past the end, end never falling."""
    count = draw(st.integers(min_value=1, max_value=8))
    at, end, committed = 1_000.0, draw(offsets), 0
    out = []
    for _ in range(count):
        at += draw(st.floats(min_value=1, max_value=20))
        end += draw(st.integers(min_value=0, max_value=50))
        committed = draw(st.integers(min_value=committed, max_value=end))
        out.append(sample(at, committed, end, draw(st.integers(min_value=0, max_value=2))))
    return out


@given(windows())
def test_no_lag_is_always_ok(samples: list[GroupSample]) -> None:
    last = samples[-1]
    caught_up = sample(last.taken_at + 1, last.partitions[0].end, last.partitions[0].end)
    assert status([*samples, caught_up], WINDOW_S) is LagStatus.OK


@given(windows())
def test_a_moving_group_is_never_stalled_or_stopped(samples: list[GroupSample]) -> None:
    if commits_moved(samples):
        assert status(samples, WINDOW_S) in (LagStatus.OK, LagStatus.WARNING)


@given(windows())
def test_rate_is_the_commits_advance_over_the_span(samples: list[GroupSample]) -> None:
    measured = rate(samples)
    if len(samples) < 2:
        assert measured is None
        return
    advanced = samples[-1].partitions[0].committed - samples[0].partitions[0].committed
    assert measured is not None
    assert abs(measured * span(samples) - advanced) < 1e-6


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0.001, max_value=1e4))
def test_eta_drains_the_lag_at_the_rate(lag: int, per_s: float) -> None:
    seconds = eta(lag, per_s)
    assert seconds is not None and abs(seconds * per_s - lag) < 1e-6 * max(lag, 1)


def test_eta_is_unknown_when_nothing_is_consumed_and_zero_without_lag() -> None:
    assert eta(5, 0.0) is None and eta(5, None) is None
    assert eta(0, None) == 0.0


def test_a_group_with_members_not_committing_for_the_window_is_stalled() -> None:
    samples = [sample(0, 10, 20), sample(30, 10, 25), sample(61, 10, 25)]
    assert status(samples, WINDOW_S) is LagStatus.STALLED
    assert status(samples[:2], WINDOW_S) is LagStatus.WARNING  # 30 s: too short to say


def test_a_group_without_members_is_stopped_after_the_window_or_by_the_lags_age() -> None:
    gone = [sample(0, 10, 20, members=0), sample(61, 10, 20, members=0)]
    assert status(gone, WINDOW_S) is LagStatus.STOPPED
    brief = [sample(0, 10, 20, members=0), sample(1, 10, 20, members=0)]
    assert status(brief, WINDOW_S) is LagStatus.OK
    assert status(brief, WINDOW_S, waited_s=61) is LagStatus.STOPPED
    assert status(brief, WINDOW_S, waited_s=59) is LagStatus.OK


def test_growing_lag_warns_and_lag_being_worked_off_is_ok() -> None:
    growing = [sample(0, 10, 20), sample(5, 12, 30), sample(10, 14, 40)]
    assert status(growing, WINDOW_S) is LagStatus.WARNING
    draining = [sample(0, 10, 40), sample(5, 30, 45), sample(10, 44, 46)]
    assert status(draining, WINDOW_S) is LagStatus.OK
    assert status([sample(0, 0, 100)], WINDOW_S) is LagStatus.OK  # one sample: nothing to say


@given(windows(), st.floats(min_value=1, max_value=100))
def test_slide_keeps_the_window_and_one_anchor_before_it(
    samples: list[GroupSample], window_s: float
) -> None:
    window: tuple[GroupSample, ...] = ()
    for each in samples:
        window = slide(window, each, window_s)
    assert window[-1] is samples[-1]
    cutoff = samples[-1].taken_at - window_s
    assert all(s.taken_at >= cutoff for s in window[1:])
    kept = len(window)
    if kept < len(samples):  # something was dropped: the anchor reaches the window
        assert span(window) >= window_s


def test_lag_seconds_is_the_oldest_unconsumed_messages_age() -> None:
    waiting = PartitionSample("t", 0, 5, 9, oldest_unconsumed_ms=100_000)
    assert partition_lag(waiting, now=130.5).lag_seconds == 30.5
    assert partition_lag(PartitionSample("t", 0, 9, 9), now=130.5).lag_seconds == 0.0
    unread = PartitionSample("t", 0, 5, 9)  # its record did not arrive in time
    assert partition_lag(unread, now=130.5).lag_seconds is None
    ahead = PartitionSample("t", 0, 12, 9)  # a commit ahead of a stale end
    assert ahead.lag == 0
    markers = PartitionSample("t", 0, 7, 9, markers_only=True)  # a transaction's end marker
    assert markers.lag == 0 and partition_lag(markers, now=130.5).lag_seconds == 0.0


def test_group_lag_sums_partitions_and_takes_the_longest_wait() -> None:
    first = GroupSample(
        "g",
        100.0,
        0,
        (PartitionSample("t", 1, 0, 4, 40_000), PartitionSample("t", 0, 0, 3, 70_000)),
    )
    later = GroupSample(
        "g",
        110.0,
        0,
        (PartitionSample("t", 1, 2, 4, 90_000), PartitionSample("t", 0, 0, 3, 70_000)),
    )
    identity = GroupIdentity(GroupRole.SERVICE, "s")
    report = group_lag([first, later], identity, WINDOW_S)
    assert report.lag_messages == 5
    assert [p.partition for p in report.partitions] == [0, 1]
    assert report.lag_seconds == 40.0  # partition 0: produced at 70 s, now 110 s
    assert report.rate == 0.2 and report.eta_seconds == 25.0
    assert report.window_seconds == 10.0 and report.status is LagStatus.OK
