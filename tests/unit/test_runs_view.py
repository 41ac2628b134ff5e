"""The read model's fold: RunStatusChanged events -> run views (pure, no Kafka)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from podium.contract import (
    RunRequested,
    RunStatus,
    RunStatusChanged,
    StepError,
    StepStatus,
    Trigger,
    TriggerSource,
)
from podium.runs import RunView, with_pending_steps
from podium.runs._render import run_details, view_json
from podium.runs._view import StepView, apply_event, apply_to_view, requested_view

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BOOM = StepError(error_type="IOError", error_message="disk full", retryable=True)


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def epoch_ms(ms: int) -> int:
    return int(at(ms).timestamp() * 1000)


def event(ms: int, status: RunStatus = RunStatus.RUNNING, **fields: Any) -> RunStatusChanged:
    base: dict[str, Any] = {
        "run_id": "r1",
        "pipeline": "ingest",
        "pipeline_version": "2",
        "status": status,
        "changed_at": at(ms),
    }
    return RunStatusChanged(**(base | fields))


def start(ms: int = 0) -> RunStatusChanged:
    detail = {
        "pipeline": "ingest",
        "version": 2,
        "params": {"uri": "file:///a.csv"},
        "trigger": {"source": "API", "name": "api", "reference": None},
        "requested_at_ms": 0,
    }
    return event(ms, detail_json=json.dumps(detail))


def step(ms: int, name: str, status: StepStatus, attempt: int, **fields: Any) -> RunStatusChanged:
    return event(ms, step=name, step_status=status, attempt=attempt, **fields)


def fold(events: list[RunStatusChanged]) -> RunView:
    views: dict[str, RunView] = {}
    for e in events:
        views = apply_event(views, e)
    return views["r1"]


def retry_at(ms: int) -> str:
    return json.dumps({"retry_at_ms": epoch_ms(ms)})


HAPPY = [
    start(0),
    step(0, "validate", StepStatus.RUNNING, 1, detail_json='{"deadline_ms": 30000}'),
    step(10, "validate", StepStatus.RETRY_WAIT, 1, error=BOOM, detail_json=retry_at(1010)),
    step(1010, "validate", StepStatus.RUNNING, 2),
    step(1500, "validate", StepStatus.SUCCEEDED, 2, output_json='{"rows": 3}'),
    event(1500, RunStatus.SUCCEEDED),
]


def test_a_run_shows_params_trigger_steps_attempts_and_output() -> None:
    view = fold(HAPPY)
    assert (view.status, view.pipeline, view.version) == (RunStatus.SUCCEEDED, "ingest", 2)
    assert view.params == {"uri": "file:///a.csv"} and view.trigger["source"] == "API"
    assert (view.created_at, view.finished_at) == (at(0), at(1500))
    validate = view.steps["validate"]
    assert validate.status is StepStatus.SUCCEEDED and validate.output == {"rows": 3}
    assert [a.number for a in validate.attempts] == [1, 2]
    assert validate.attempts[0].error == BOOM and validate.attempts[0].retry_at == at(1010)
    assert (validate.started_at, validate.finished_at) == (at(0), at(1500))
    assert validate.error is None  # the retry succeeded


def test_a_failed_run_carries_the_failing_steps_error() -> None:
    failed = [
        start(0),
        step(0, "load", StepStatus.RUNNING, 1),
        step(5, "load", StepStatus.FAILED, 1, error=BOOM),
        event(5, RunStatus.FAILED, reason="step load failed: IOError: disk full"),
    ]
    view = fold(failed)
    assert view.status is RunStatus.FAILED and view.error == BOOM
    assert view.reason == "step load failed: IOError: disk full"


def test_a_terminal_status_is_not_regressed_by_a_late_older_event() -> None:
    view = fold([*HAPPY, start(0), step(0, "validate", StepStatus.RUNNING, 1)])
    assert view.status is RunStatus.SUCCEEDED
    assert view.steps["validate"].status is StepStatus.SUCCEEDED


def test_a_run_id_started_again_after_its_end_is_shown_as_the_new_run() -> None:
    """The coordinator forgets a finished run after its retention; a start of the same
    id after that is a new run, and the view follows it, not the old one."""
    again = [start(5000), step(5000, "validate", StepStatus.RUNNING, 1)]
    view = fold([*HAPPY, *again])
    assert view.status is RunStatus.RUNNING
    assert view.finished_at is None
    assert view.created_at == at(5000)
    assert view.steps["validate"].status is StepStatus.RUNNING
    assert len(view.steps["validate"].attempts) == 1
    assert fold([*HAPPY, *again, event(6000, RunStatus.SUCCEEDED)]).finished_at == at(6000)


def test_a_start_stamped_before_the_end_does_not_start_the_run_again() -> None:
    assert fold([*HAPPY, start(0), start(1500)]) == fold(HAPPY)


def test_a_skipped_step_says_why() -> None:
    skipped = step(3, "notify", StepStatus.SKIPPED, 0, detail_json='{"condition": "x > 1"}')
    view = fold([start(0), skipped])
    assert view.steps["notify"].reason == "condition not met: x > 1"
    assert view.steps["notify"].attempts == ()


def test_events_before_the_start_event_still_build_a_view() -> None:
    view = fold([step(5, "a", StepStatus.RUNNING, 1)])
    assert view.status is RunStatus.RUNNING and view.params == {}
    assert "a" in view.steps


def test_a_requested_run_is_queued_until_the_coordinator_speaks() -> None:
    request = RunRequested(
        run_id="r1",
        pipeline="ingest",
        pipeline_version="2",
        params_json='{"uri": "x"}',
        trigger=Trigger(source=TriggerSource.CLI),
        requested_at=at(-5),
    )
    queued = requested_view(request)
    assert queued.status is RunStatus.QUEUED and queued.params == {"uri": "x"}
    assert apply_to_view(queued, start(0)).status is RunStatus.RUNNING


def test_a_runs_priority_comes_from_its_start_event_and_shows_in_json_and_text() -> None:
    detail = {**json.loads(start().detail_json or "{}"), "priority": 4}
    view = fold([event(0, RunStatus.QUEUED, detail_json=json.dumps(detail))])
    assert view.priority == 4 and view_json(view)["priority"] == 4
    assert "priority  4" in run_details(view)
    assert fold(HAPPY).priority == 0 and "priority" not in "\n".join(run_details(fold(HAPPY)))


def test_pending_steps_are_listed_in_definition_order() -> None:
    view = with_pending_steps(fold([start(0), step(0, "b", StepStatus.RUNNING, 1)]), ["a", "b"])
    assert list(view.steps) == ["a", "b"]
    assert view.steps["a"] == StepView(StepStatus.PENDING)


def test_apply_event_leaves_its_input_alone() -> None:
    views: dict[str, RunView] = {}
    after = apply_event(views, start(0))
    assert views == {} and set(after) == {"r1"}


# Coordinator-like histories: a start, per-step attempt sequences interleaved, an end.

STEP_NAMES = ("a", "b", "c")
OUTCOMES = (StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.CANCELLED, StepStatus.SKIPPED)


@st.composite
def step_plans(draw: st.DrawFn) -> list[tuple[StepStatus, int, Any]]:
    """For one step: the (status, attempt, extras) of each of its events, in order."""
    outcome = draw(st.sampled_from(OUTCOMES))
    if outcome is StepStatus.SKIPPED:
        return [(outcome, 0, {"detail_json": '{"condition": "false"}'})]
    tries = draw(st.integers(1, 3))
    plan: list[tuple[StepStatus, int, Any]] = []
    for attempt in range(1, tries + 1):
        plan.append((StepStatus.RUNNING, attempt, {}))
        if attempt < tries:
            plan.append((StepStatus.RETRY_WAIT, attempt, {"error": BOOM}))
    extras: dict[StepStatus, dict[str, Any]] = {
        StepStatus.SUCCEEDED: {"output_json": json.dumps({"n": tries})}
    }
    extras |= {StepStatus.FAILED: {"error": BOOM}, StepStatus.CANCELLED: {}}
    return [*plan, (outcome, tries, extras[outcome])]


@st.composite
def histories(draw: st.DrawFn) -> list[RunStatusChanged]:
    """A plausible history: per-step order kept, steps interleaved, times non-decreasing."""
    plans = {name: draw(step_plans()) for name in STEP_NAMES}
    order = [n for n in STEP_NAMES for _ in plans[n]]
    order = draw(st.permutations(order))
    ms, events = 0, [start(0)]
    for name in order:
        status, attempt, extras = plans[name].pop(0)
        ms += draw(st.integers(0, 5))  # ties in the same millisecond happen
        events.append(step(ms, name, status, attempt, **extras))
    failed = any(e.step_status is StepStatus.FAILED for e in events)
    end = RunStatus.FAILED if failed else RunStatus.SUCCEEDED
    return [*events, event(ms + draw(st.integers(0, 5)), end)]


@st.composite
def redelivered(draw: st.DrawFn) -> tuple[list[RunStatusChanged], list[RunStatusChanged]]:
    """A history, and the same with some events delivered again later (at-least-once)."""
    history = draw(histories())
    messy = list(history)
    for _ in range(draw(st.integers(1, 6))):
        index = draw(st.integers(0, len(history) - 1))
        original = messy.index(history[index])
        messy.insert(draw(st.integers(original + 1, len(messy))), history[index])
    return history, messy


@settings(max_examples=200)
@given(histories(), st.data())
def test_applying_an_event_twice_changes_nothing(
    history: list[RunStatusChanged], data: st.DataObject
) -> None:
    cut = data.draw(st.integers(0, len(history)))
    view = fold(history[:cut]) if cut else None
    again = data.draw(st.sampled_from(history))
    once = apply_to_view(view, again)
    assert apply_to_view(once, again) == once


@settings(max_examples=200)
@given(redelivered())
def test_late_duplicates_change_nothing(
    pair: tuple[list[RunStatusChanged], list[RunStatusChanged]],
) -> None:
    history, messy = pair
    assert fold(messy) == fold(history)


@settings(max_examples=200)
@given(histories(), st.data())
def test_a_terminal_status_stays_whatever_old_events_arrive_after_it(
    history: list[RunStatusChanged], data: st.DataObject
) -> None:
    late = data.draw(st.lists(st.sampled_from(history), max_size=8))
    final = fold(history)
    assert final.finished
    assert fold([*history, *late]).status is final.status


@settings(max_examples=200)
@given(histories())
def test_each_step_shows_its_last_outcome_and_every_attempt(
    history: list[RunStatusChanged],
) -> None:
    view = fold(history)
    for name in STEP_NAMES:
        mine = [e for e in history if e.step == name]
        assert view.steps[name].status is mine[-1].step_status
        assert len(view.steps[name].attempts) == (mine[-1].attempt or 0)
    assert view.updated_at == max(e.changed_at for e in history)
    assert view.created_at == min(e.changed_at for e in history)
