from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._timers import TimerIndex


def test_due_runs_come_out_once_in_time_order() -> None:
    index = TimerIndex()
    index.set("b", 200)
    index.set("a", 100)
    index.set("c", 300)
    assert index.pop_due(250) == [("a", 100), ("b", 200)]
    assert index.pop_due(250) == []
    assert index.pop_due(300) == [("c", 300)]


def test_a_moved_or_cleared_wake_up_does_not_fire() -> None:
    index = TimerIndex()
    index.set("a", 100)
    index.set("a", 500)
    index.set("b", 100)
    index.set("b", None)
    assert index.pop_due(400) == []
    assert index.pop_due(500) == [("a", 500)]


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.none() | st.integers(0, 1000))))
def test_only_each_runs_latest_wish_fires(wishes: list[tuple[str, int | None]]) -> None:
    index = TimerIndex()
    latest: dict[str, int | None] = {}
    for run_id, at_ms in wishes:
        index.set(run_id, at_ms)
        latest[run_id] = at_ms
    fired = index.pop_due(1000)
    assert sorted(fired) == sorted((r, at) for r, at in latest.items() if at is not None)
    assert len(index) == 0
