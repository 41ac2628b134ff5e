"""Commit positions under out-of-order completion, and duplicate suppression."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.service._dedup import InFlight
from podium.streams import OffsetTracker


def test_an_unfinished_offset_holds_back_the_commit_of_later_finished_ones() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.started(0, offset)
    tracker.finished(0, 12)
    tracker.finished(0, 11)
    assert tracker.committable() == {}  # 10 is still running
    tracker.finished(0, 10)
    assert tracker.committable() == {0: 13}


def test_a_committed_position_is_not_offered_again_until_it_moves() -> None:
    tracker: OffsetTracker[int] = OffsetTracker()
    tracker.started(0, 5)
    tracker.finished(0, 5)
    tracker.committed(tracker.committable())
    assert tracker.committable() == {}
    tracker.started(0, 9)  # offsets 6..8 were never delivered (compaction, markers)
    tracker.finished(0, 9)
    assert tracker.committable() == {0: 10}


def test_partitions_are_independent_and_forgotten_ones_ignore_late_completions() -> None:
    tracker: OffsetTracker[str] = OffsetTracker()
    tracker.started("a", 0)
    tracker.started("b", 0)
    tracker.finished("b", 0)
    assert tracker.committable() == {"b": 1}
    tracker.forget(["a"])
    tracker.finished("a", 0)
    assert tracker.committable() == {"b": 1}
    assert tracker.unfinished() == 0


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Increasing offsets (with gaps), and the order a random subset of them finishes in."""
    gaps = draw(st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=30))
    offsets = [sum(gaps[: i + 1]) for i in range(len(gaps))]
    finishing = draw(st.permutations(offsets))
    cut = draw(st.integers(min_value=0, max_value=len(finishing)))
    return offsets, finishing[:cut]


@given(runs())
def test_the_commit_never_passes_an_unfinished_offset_and_is_the_highest_safe(
    case: tuple[list[int], list[int]],
) -> None:
    offsets, finishing = case
    tracker: OffsetTracker[int] = OffsetTracker()
    for offset in offsets:
        tracker.started(0, offset)
    done: set[int] = set()
    position = offsets[0]
    for offset in finishing:
        tracker.finished(0, offset)
        done.add(offset)
        position = tracker.committable().get(0, position)
        assert all(o in done for o in offsets if o < position)
        unfinished = [o for o in offsets if o not in done]
        assert position == (min(unfinished) if unfinished else offsets[-1] + 1)
        tracker.committed({0: position})


def test_a_duplicate_in_flight_follows_the_first_and_is_released_with_it() -> None:
    in_flight: InFlight[tuple[str, str, int], int] = InFlight()
    key = ("run-1", "aggregate", 1)
    assert in_flight.claim(key, 7) is True
    assert in_flight.claim(key, 8) is False
    assert in_flight.claim(key, 9) is False
    assert in_flight.claim(("run-1", "aggregate", 2), 10) is True  # another attempt runs
    assert in_flight.release(key) == [8, 9]
    assert key not in in_flight
    assert in_flight.claim(key, 11) is True  # a later redelivery runs again


def test_the_position_past_a_transaction_marker_is_committed_once_all_is_done() -> None:
    """The coordinator writes requests in transactions: the record at 16 is followed by
    its commit marker at 17, so a group that commits only 17 shows a lag of 1 for ever."""
    tracker: OffsetTracker[str] = OffsetTracker()
    tracker.started("p", 16)
    tracker.reached("p", 18)
    assert tracker.committable() == {}  # 16 is still running: the group resumes there
    tracker.finished("p", 16)
    assert tracker.committable() == {"p": 18}


def test_a_position_reached_without_records_is_committed() -> None:
    tracker: OffsetTracker[str] = OffsetTracker()
    tracker.reached("p", 5)  # only a marker was fetched
    assert tracker.committable() == {"p": 5}
    tracker.committed({"p": 5})
    tracker.reached("p", 5)
    assert tracker.committable() == {}
