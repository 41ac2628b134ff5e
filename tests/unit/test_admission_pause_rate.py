"""Admission with a paused pipeline and a rate limit (one pipeline's queue), without Kafka:
examples, then hypothesis properties over random interleavings of enqueues, releases,
pauses, resumes and wakes at increasing times."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.coordinator.core import (
    AdmissionEvent,
    AdmissionState,
    Enqueue,
    PausePipeline,
    Release,
    ResumePipeline,
    TokenRate,
    Wake,
    admission_wake_ms,
    admit,
)

RUNS = [f"r{i}" for i in range(10)]
EVENT = (
    st.builds(Enqueue, st.sampled_from(RUNS), st.sampled_from([0, 0, 1, 5, -2]))
    | st.builds(Release, st.sampled_from(RUNS))
    | st.builds(PausePipeline, st.just("sre"))
    | st.builds(ResumePipeline, st.just("sre"))
    | st.builds(Wake)
)
STEPS = st.lists(st.tuples(EVENT, st.integers(0, 700)), max_size=60)
"""Each event with the milliseconds passed since the one before."""
LIMITS = st.none() | st.integers(1, 3)
RATE = st.builds(TokenRate, st.integers(1_000, 400_000), st.integers(1, 3))
RATES = st.none() | RATE


@dataclass
class Trace:
    """What a run of events did: every admission (run, time) that was new, not a repeat."""

    state: AdmissionState = field(default_factory=AdmissionState)
    now_ms: int = 0
    admissions: list[tuple[str, int]] = field(default_factory=list)

    def apply(
        self, event: AdmissionEvent, limit: int | None, rate: TokenRate | None, passed: int = 0
    ) -> tuple[str, ...]:
        """Apply ``event`` as the wire does: a run's message with its cap and rate, a pause,
        a resume and a wake with none. Returns the runs newly admitted."""
        self.now_ms += passed
        before = self.state
        if isinstance(event, Enqueue | Release):
            self.state, told = admit(before, event, limit, rate=rate, now_ms=self.now_ms)
        else:
            self.state, told = admit(before, event, now_ms=self.now_ms)
        new = tuple(run for run in told if run not in before.active)
        self.admissions += [(run, self.now_ms) for run in new]
        return new


def configured(limit: int | None, rate: TokenRate | None) -> AdmissionState:
    """A state that has seen the pipeline's cap and rate (a run's message brought them)."""
    return AdmissionState(limit=limit, rate=rate)


# --- examples --------------------------------------------------------------------------------


def test_a_paused_pipeline_admits_nothing_and_its_resume_admits_the_waiting_runs() -> None:
    trace = Trace(configured(None, None))
    trace.apply(PausePipeline("sre", "maintenance", 5), None, None)
    assert trace.state.paused is not None and trace.state.paused.by == "sre"
    for run in ("a", "b", "c"):
        assert trace.apply(Enqueue(run), None, None) == ()
    assert trace.state.queue == ("a", "b", "c")
    assert trace.apply(ResumePipeline("sre"), None, None) == ("a", "b", "c")
    assert trace.state.empty  # uncapped: the admitted runs hold no slot


def test_a_resume_admits_under_the_cap_in_priority_then_arrival_order() -> None:
    trace = Trace()
    trace.apply(Enqueue("first"), 2, None)
    trace.apply(PausePipeline(), 2, None)
    for run, priority in (("low", -1), ("a", 0), ("high", 3), ("b", 0)):
        trace.apply(Enqueue(run, priority), 2, None)
    assert trace.apply(ResumePipeline(), None, None) == ("high",)  # one slot left
    assert trace.state.queue == ("a", "b", "low")


def test_a_pause_evicts_nobody_and_a_repeated_pause_keeps_the_first() -> None:
    trace = Trace()
    trace.apply(Enqueue("a"), 1, None)
    trace.apply(PausePipeline("ann", "first"), None, None)
    trace.apply(PausePipeline("bob", "second"), None, None)
    assert trace.state.active == {"a"} and trace.state.paused is not None
    assert trace.state.paused.by == "ann"
    assert trace.apply(Release("a"), 1, None) == ()


def test_a_rate_admits_its_burst_then_one_per_interval_on_wakes() -> None:
    rate = TokenRate.per_second(2, burst=2)  # one per 500 ms
    assert rate == TokenRate(500_000, 2)
    trace = Trace(now_ms=10_000)
    admitted = [run for run in "abcde" if trace.apply(Enqueue(run), None, rate)]
    assert admitted == ["a", "b"] and trace.state.queue == ("c", "d", "e")
    wake = admission_wake_ms(trace.state)
    assert wake == 10_500
    assert trace.apply(Wake(), None, None, passed=499) == ()  # too early: nothing
    assert trace.apply(Wake(), None, None, passed=1) == ("c",)
    assert admission_wake_ms(trace.state) == 11_000


def test_a_rate_limited_pipeline_is_remembered_until_its_bucket_is_full_again() -> None:
    rate = TokenRate.per_second(1)
    trace = Trace(now_ms=1_000)
    trace.apply(Enqueue("a"), None, rate)
    trace.apply(Release("a"), None, rate)
    assert not trace.state.idle_at(1_999) and trace.state.idle_at(2_000)
    assert trace.apply(Enqueue("b"), None, rate, passed=500) == ()  # the token is not back
    assert trace.apply(Wake(), None, None, passed=500) == ("b",)


def test_the_state_with_a_pause_and_a_rate_round_trips_through_json() -> None:
    trace = Trace(now_ms=3)
    trace.apply(Enqueue("a"), 2, TokenRate(1_000, 2))
    trace.apply(PausePipeline("sre", "why", 3), None, None)
    trace.apply(Enqueue("b", 4), 2, TokenRate(1_000, 2))
    data = json.loads(json.dumps(trace.state.to_dict()))
    assert data["paused"] == {"by": "sre", "reason": "why", "at_ms": 3}
    assert data["rate"] == {"interval_us": 1_000, "burst": 2} and data["tat_us"] == 4_000
    assert AdmissionState.from_dict(data) == trace.state
    with pytest.raises(ValueError, match="admission state"):
        AdmissionState.from_dict({"rate": {"interval_us": 0}})


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="runs_per_second must be > 0"):
        TokenRate.per_second(0)
    with pytest.raises(ValueError, match="burst >= 1"):
        TokenRate(1_000, 0)


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=400)
@given(steps=STEPS, limit=LIMITS, rate=RATES)
def test_a_paused_pipeline_admits_nothing(
    steps: list[tuple[AdmissionEvent, int]], limit: int | None, rate: TokenRate | None
) -> None:
    trace = Trace()
    for event, passed in steps:
        was_paused = trace.state.paused is not None
        new = trace.apply(event, limit, rate, passed)
        if was_paused and not isinstance(event, ResumePipeline):
            assert new == ()
        if trace.state.paused is not None:
            assert new == ()


@settings(max_examples=400)
@given(steps=STEPS, limit=LIMITS)
def test_a_resume_admits_the_head_of_the_queue_in_priority_then_fifo_order_within_the_cap(
    steps: list[tuple[AdmissionEvent, int]], limit: int | None
) -> None:
    trace = Trace()
    for event, passed in steps:
        before = trace.state
        new = trace.apply(event, limit, None, passed)
        if isinstance(event, ResumePipeline) and before.paused is not None:
            free = len(before.queue) if limit is None else limit - len(before.active)
            assert new == before.queue[: max(0, free)]
        order = [(-trace.state.priority(run), i) for i, run in enumerate(trace.state.queue)]
        assert order == sorted(order)  # the queue stays in priority order


@settings(max_examples=400)
@given(steps=STEPS, limit=LIMITS, rate=RATE)
def test_the_bucket_never_admits_more_than_its_burst_plus_its_rate_over_any_window(
    steps: list[tuple[AdmissionEvent, int]], limit: int | None, rate: TokenRate
) -> None:
    trace = Trace()
    for event, passed in steps:
        trace.apply(event, limit, rate, passed)
    times = [at for _, at in trace.admissions]
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window_us = (times[j] - start) * 1000
            assert j - i + 1 <= rate.burst + window_us // rate.interval_us


@settings(max_examples=400)
@given(steps=STEPS, limit=LIMITS, rate=RATES)
def test_no_run_is_lost_or_admitted_twice(
    steps: list[tuple[AdmissionEvent, int]], limit: int | None, rate: TokenRate | None
) -> None:
    """A run that holds a slot is admitted once until its release; every run that asked and
    was neither released nor admitted without a slot is active or waiting, once."""
    trace, holding = Trace(), limit is not None or rate is not None
    asked: set[str] = set()
    holders: set[str] = set()
    for event, passed in steps:
        new = trace.apply(event, limit, rate, passed)
        if isinstance(event, Enqueue):
            asked.add(event.run_id)
        if isinstance(event, Release):
            asked.discard(event.run_id)
            holders.discard(event.run_id)
        if holding:
            assert not set(new) & holders  # admitted again before its release
            holders |= set(new)
            assert holders == trace.state.active
        else:
            asked -= set(new)  # admitted without a slot: the run side has it now
        state = trace.state
        assert len(state.queue) == len(set(state.queue)) and not state.active & set(state.queue)
        assert state.active | set(state.queue) == asked


@settings(max_examples=300)
@given(steps=STEPS, limit=LIMITS, rate=RATES)
def test_a_wake_when_one_is_due_admits_the_head(
    steps: list[tuple[AdmissionEvent, int]], limit: int | None, rate: TokenRate | None
) -> None:
    trace = Trace()
    for event, passed in steps:
        trace.apply(event, limit, rate, passed)
    due = admission_wake_ms(trace.state)
    if due is None:
        return
    head = trace.state.queue[0]
    assert trace.apply(Wake(), None, None, passed=max(0, due - trace.now_ms)) == (head,)
