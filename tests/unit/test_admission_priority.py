"""Priorities in the admission queue (``max_active_runs``): higher first, FIFO among equals."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.coordinator.core import AdmissionEvent, AdmissionState, Enqueue, Release, admit
from tests.unit.test_admission import apply_all, release_all

RUNS = [f"r{i}" for i in range(8)]
PRIORITIES = st.dictionaries(st.sampled_from(RUNS), st.integers(-3, 3))
"""Each run's one priority (a run's priority is fixed for its life); absent: 0."""


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[AdmissionEvent], dict[str, int]]:
    priority = draw(PRIORITIES)
    runs = st.sampled_from(RUNS)
    enqueue = runs.map(lambda run: Enqueue(run, priority.get(run, 0)))
    events = draw(st.lists(enqueue | runs.map(Release), max_size=40))
    return events, priority


# --- examples --------------------------------------------------------------------------------


def test_a_higher_priority_run_goes_ahead_of_the_lower_ones_and_behind_its_equals() -> None:
    events = [Enqueue("a"), Enqueue("low", -1), Enqueue("b"), Enqueue("hi", 5), Enqueue("hi2", 5)]
    state, admitted = apply_all(events, 1)
    assert admitted == ["a"] and state.queue == ("hi", "hi2", "b", "low")
    state, now = admit(state, Enqueue("c"), 1)
    assert state.queue == ("hi", "hi2", "b", "c", "low")
    state, now = admit(state, Release("a"), 1)
    assert now == ("hi",) and state.priorities == {"hi2": 5, "low": -1}


def test_an_admitted_run_is_not_evicted_and_a_repeat_keeps_the_first_priority() -> None:
    state, _ = apply_all([Enqueue("a", -5), Enqueue("b")], 1)
    assert state.active == {"a"}  # it came first: a later higher run waits for its end
    assert admit(state, Enqueue("b", 9), 1) == (state, ())
    assert admit(state, Enqueue("a", 9), 1) == (state, ("a",))


def test_without_priorities_the_state_stores_as_before() -> None:
    state, _ = apply_all([Enqueue("a"), Enqueue("b")], 1)
    assert state.to_dict() == {"active": ["a"], "queue": ["b"], "limit": 1}  # no priorities key
    state, _ = admit(state, Enqueue("c", 2), 1)
    data = json.loads(json.dumps(state.to_dict()))
    assert data == {"active": ["a"], "queue": ["c", "b"], "priorities": {"c": 2}, "limit": 1}
    assert AdmissionState.from_dict(data) == state
    with pytest.raises(ValueError, match="priorities must map run ids to ints"):
        AdmissionState.from_dict({"queue": ["c"], "priorities": {"c": "high"}})


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=400)
@given(history=histories(), limit=st.integers(1, 3))
def test_no_lower_priority_run_is_admitted_while_a_higher_one_waits_and_equals_keep_fifo(
    history: tuple[list[AdmissionEvent], dict[str, int]], limit: int
) -> None:
    """Each newly admitted run outranks every run left waiting: higher priority, or equal
    priority and earlier arrival; runs admitted together are in that order too."""
    events, priority = history
    state, arrived, clock = AdmissionState(), dict[str, int](), 0
    for event in events:
        if event.run_id not in state.active and event.run_id not in state.queue:
            clock += 1
            arrived[event.run_id] = clock
        before = state
        state, admitted = admit(state, event, limit)
        newly = [run for run in admitted if run not in before.active]
        rank = [(-priority.get(run, 0), arrived[run]) for run in newly]
        assert rank == sorted(rank)
        waiting = [(-priority.get(run, 0), arrived[run]) for run in state.queue]
        assert waiting == sorted(waiting)
        assert all(r < w for r in rank for w in waiting)


@settings(max_examples=400)
@given(history=histories(), limit=st.integers(1, 3))
def test_never_more_than_the_limit_active_and_no_slot_idle_while_runs_wait(
    history: tuple[list[AdmissionEvent], dict[str, int]], limit: int
) -> None:
    state = AdmissionState()
    for event in history[0]:
        state, admitted = admit(state, event, limit)
        assert len(state.active) <= limit and set(admitted) <= state.active
        assert state.queue == () or len(state.active) == limit
        assert set(state.priorities) <= set(state.queue)  # only waiting runs keep one
        assert AdmissionState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


@settings(max_examples=400)
@given(history=histories(), limit=st.integers(1, 3))
def test_every_waiting_run_is_admitted_once_slots_free_highest_first(
    history: tuple[list[AdmissionEvent], dict[str, int]], limit: int
) -> None:
    events, priority = history
    state, _ = apply_all(events, limit)
    waiting = list(state.queue)
    state, seen = release_all(state, limit)
    assert seen == waiting and state.empty
    order = [-priority.get(run, 0) for run in seen]
    assert order == sorted(order)
