"""Admission under ``max_active_runs`` (one pipeline's queue), without Kafka."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.coordinator.core import AdmissionEvent, AdmissionState, Enqueue, Release, admit

RUNS = [f"r{i}" for i in range(8)]
EVENTS = st.lists(
    st.builds(Enqueue, st.sampled_from(RUNS)) | st.builds(Release, st.sampled_from(RUNS)),
    max_size=40,
)


def apply_all(
    events: list[AdmissionEvent], limit: int, state: AdmissionState | None = None
) -> tuple[AdmissionState, list[str]]:
    state = state or AdmissionState()
    admitted: list[str] = []
    for event in events:
        state, now = admit(state, event, limit)
        admitted += now
    return state, admitted


def release_all(state: AdmissionState, limit: int) -> tuple[AdmissionState, list[str]]:
    """End the active runs one by one (the smallest id first) until none is left: the
    state then, and the runs admitted on the way, in order."""
    seen: list[str] = []
    while state.active:
        state, admitted = admit(state, Release(min(state.active)), limit)
        seen += admitted
    return state, seen


# --- examples --------------------------------------------------------------------------------


def test_runs_beyond_the_limit_wait_and_start_in_order_as_slots_free() -> None:
    state, admitted = apply_all([Enqueue("a"), Enqueue("b"), Enqueue("c"), Enqueue("d")], 2)
    assert admitted == ["a", "b"]
    assert state == AdmissionState(frozenset({"a", "b"}), ("c", "d"), limit=2)
    state, now = admit(state, Release("b"), 2)
    assert now == ("c",) and state == AdmissionState(frozenset({"a", "c"}), ("d",), limit=2)


def test_a_run_released_while_queued_leaves_the_queue_and_starts_nothing() -> None:
    state, _ = apply_all([Enqueue("a"), Enqueue("b"), Enqueue("c")], 1)
    state, now = admit(state, Release("b"), 1)
    assert now == () and state == AdmissionState(frozenset({"a"}), ("c",), limit=1)
    assert admit(state, Release("a"), 1) == (AdmissionState(frozenset({"c"}), limit=1), ("c",))


def test_repeats_change_nothing_but_an_active_run_is_told_again() -> None:
    """The run side ignores a repeated Admitted; re-telling heals a lost one."""
    state, _ = apply_all([Enqueue("a"), Enqueue("b")], 1)
    assert admit(state, Enqueue("b"), 1) == (state, ())
    assert admit(state, Enqueue("a"), 1) == (state, ("a",))
    assert admit(state, Release("zzz"), 1) == (state, ())


def test_a_raised_limit_admits_at_the_next_event_and_a_lowered_one_evicts_nobody() -> None:
    state, _ = apply_all([Enqueue("a"), Enqueue("b"), Enqueue("c")], 1)
    state, now = admit(state, Enqueue("d"), 3)
    assert now == ("b", "c") and state.queue == ("d",)
    state, now = admit(state, Release("a"), 1)
    assert now == () and state.active == {"b", "c"}


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_active_runs must be >= 1"):
        admit(AdmissionState(), Enqueue("a"), 0)


def test_state_round_trips_through_json_and_bad_state_names_the_field() -> None:
    state, _ = apply_all([Enqueue("b"), Enqueue("a"), Enqueue("c")], 2)
    data = json.loads(json.dumps(state.to_dict()))
    assert data == {"active": ["a", "b"], "queue": ["c"], "limit": 2}
    assert AdmissionState.from_dict(data) == state
    assert AdmissionState.from_dict({}) == AdmissionState() and AdmissionState().empty
    with pytest.raises(ValueError, match="queue must be a list of run ids"):
        AdmissionState.from_dict({"active": [], "queue": "c"})


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=300)
@given(events=EVENTS, limit=st.integers(1, 4))
def test_never_more_than_limit_active_and_no_run_both_active_and_waiting(
    events: list[AdmissionEvent], limit: int
) -> None:
    state = AdmissionState()
    for event in events:
        state, admitted = admit(state, event, limit)
        assert len(state.active) <= limit
        assert not state.active & set(state.queue) and len(set(state.queue)) == len(state.queue)
        assert state.queue == () or len(state.active) == limit  # no idle slot while runs wait
        assert set(admitted) <= state.active


@settings(max_examples=300)
@given(events=EVENTS, limit=st.integers(1, 4))
def test_runs_are_admitted_in_the_order_they_started_waiting(
    events: list[AdmissionEvent], limit: int
) -> None:
    """When a run gets a slot, every run still waiting arrived after it (FIFO)."""
    state, arrived, clock = AdmissionState(), dict[str, int](), 0
    for event in events:
        fresh = event.run_id not in state.active and event.run_id not in state.queue
        if isinstance(event, Enqueue) and fresh:
            clock += 1
            arrived[event.run_id] = clock
        before = state
        state, admitted = admit(state, event, limit)
        newly = [run for run in admitted if run not in before.active]
        order = [arrived[run] for run in newly]
        assert order == sorted(order)
        assert all(arrived[run] > max(order, default=0) for run in state.queue)


@settings(max_examples=300)
@given(events=EVENTS, limit=st.integers(1, 4), again=st.data())
def test_a_repeated_event_changes_nothing(
    events: list[AdmissionEvent], limit: int, again: st.DataObject
) -> None:
    state, _ = apply_all(events, limit)
    if not events:
        return
    event = again.draw(st.sampled_from(events))
    state, _ = admit(state, event, limit)
    repeated, admitted = admit(state, event, limit)
    assert repeated == state
    told_again = isinstance(event, Enqueue) and event.run_id in state.active
    assert admitted == ((event.run_id,) if told_again else ())


@settings(max_examples=300)
@given(events=EVENTS, limit=st.integers(1, 4))
def test_every_waiting_run_is_admitted_once_the_active_ones_end(
    events: list[AdmissionEvent], limit: int
) -> None:
    state, _ = apply_all(events, limit)
    waiting = list(state.queue)
    state, seen = release_all(state, limit)
    assert seen == waiting and state.empty
