"""Sub-pipelines in the state machine: a parent run and its child runs, each decided by
``decide`` alone, with the adapter's wiring played by a message bus that delivers late, out
of order and more than once (the child's start, its cancel, its answer to the parent).

Properties: each attempt of a ``kind: pipeline`` step starts one child (one id, one start
command, whatever redeliveries); the step finishes exactly once, with its child's outcome
when the child's answer finished it; stopping the step (the parent cancelled or failing, a
timeout) cancels an unfinished child, and every child ends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import event as note_stat
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.contract import ParentStep, RunStatus, StepStatus
from podium.coordinator import RunState
from podium.coordinator.core import (
    CancelChildRun,
    CancelRun,
    Decision,
    EmitRunEvent,
    Event,
    RequestStep,
    SendStepResult,
    StartChildRun,
    StartRun,
    StepFailedEvent,
    StepSucceeded,
    TimerFired,
    decide,
    next_wake_ms,
)
from podium.coordinator.core._children import (
    CHILD_DEPTH_ERROR,
    CHILD_PARAM_ERROR,
    MAX_CHILD_DEPTH,
    child_depth,
)
from podium.coordinator.core._failure import TIMEOUT_ERROR
from podium.pipelines import Pipeline
from tests.unit.test_machine_support import TRACE, check_decision, make_pipeline

PARENT = "parent-1"
SUB = "sub"


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Pipeline, Pipeline]:
    """A parent ``a -> sub -> b`` (``c`` beside ``sub``, which may fail the run while the
    child runs) whose ``sub`` runs a child chain of 1 to 3 steps."""
    sub = {
        "name": SUB,
        "kind": "pipeline",
        "after": ["a"],
        "input": {"mode": "fast"},
        "timeout": draw(st.integers(5, 60)),
        "retry": {"max_attempts": draw(st.integers(1, 2)), "initial_backoff": 1},
        "pipeline": {
            "name": "child",
            "params": {"uri": "steps.a.output.uri", "mode": "input.mode", "n": 3},
        },
    }
    parent = make_pipeline(
        {"name": "a", "service": "svc", "retry": {"max_attempts": 1}},
        sub,
        {"name": "b", "service": "svc", "after": [SUB], "retry": {"max_attempts": 1}},
        {"name": "c", "service": "svc", "after": ["a"], "retry": {"max_attempts": 1}},
        name="parent",
    )
    count = draw(st.integers(1, 3))
    chain = [
        {"name": f"k{i}", "service": "svc", "after": [f"k{i - 1}"] if i else [], "timeout": 30}
        for i in range(count)
    ]
    return parent, make_pipeline(*chain, name="child")


@dataclass
class World:
    """Every run's state, the bus of messages between them, and every decision made."""

    parent: Pipeline
    child: Pipeline
    now_ms: int = 1_000
    states: dict[str, RunState] = field(default_factory=dict)
    bus: list[Event] = field(default_factory=list)
    delivered: list[Event] = field(default_factory=list)
    decisions: list[tuple[str, Decision]] = field(default_factory=list)

    def pipeline_of(self, run_id: str) -> Pipeline:
        return self.parent if run_id == PARENT else self.child

    def send(self, event: Event) -> Decision:
        before = self.states.get(event.run_id)
        decision = decide(before, event, self.pipeline_of(event.run_id), self.now_ms)
        check_decision(decision, event.run_id)
        if decision.state is not None:
            self.states[event.run_id] = decision.state
        self.decisions.append((event.run_id, decision))
        self.delivered.append(event)
        for command in decision.commands:
            self._wire(command)
        return decision

    def _wire(self, command: object) -> None:
        """What the adapters would put on the topics, as the machine's events."""
        if isinstance(command, StartChildRun):
            trigger = command.parent.trigger()
            start = StartRun(command.child_run_id, command.pipeline, 1, command.params, trigger)
            self.bus.append(start)
        elif isinstance(command, CancelChildRun):
            self.bus.append(CancelRun(command.child_run_id, command.reason))
        elif isinstance(command, SendStepResult):
            self.bus.append(_result_event(command))

    def running(self) -> list[tuple[str, str, int]]:
        """Service steps running anywhere (a pipeline step is answered by its child)."""
        return [
            (run_id, name, step.attempt)
            for run_id, state in self.states.items()
            for name, step in state.steps.items()
            if step.status is StepStatus.RUNNING and not (run_id == PARENT and name == SUB)
        ]

    def commands(self, kind: type, run_id: str | None = None) -> list[Any]:
        return [
            c
            for rid, d in self.decisions
            if run_id is None or rid == run_id
            for c in d.commands
            if isinstance(c, kind)
        ]


def _result_event(command: SendStepResult) -> Event:
    run_id, step, attempt = command.run_id, command.step, command.attempt
    if command.error is None:
        return StepSucceeded(run_id, step, attempt, command.output)
    error = command.error
    return StepFailedEvent(
        run_id, step, attempt, error.error_type, error.error_message, error.retryable
    )


def _answer(world: World, data: st.DataObject) -> Event:
    run_id, name, attempt = data.draw(st.sampled_from(world.running()), label="answering")
    if data.draw(st.integers(0, 7), label="service fails") == 7:
        return StepFailedEvent(run_id, name, attempt, "Boom", "it broke", False)
    output: dict[str, Any] = {"step": name, "n": data.draw(st.integers(0, 9), label="n")}
    if name != "a" or data.draw(st.integers(0, 5), label="a lacks uri") < 5:
        output["uri"] = "s3://in/file.csv"
    return StepSucceeded(run_id, name, attempt, output)


def _next(world: World, data: st.DataObject) -> Event | None:
    """Any event a messy deployment could deliver next (None: nothing to do now)."""
    actions = ["bus"] * 8 + ["answer"] * 6 + ["replay"] * 3 + ["tick"] * 2 + ["cancel"]
    action = data.draw(st.sampled_from(actions), label="action")
    world.now_ms += data.draw(st.sampled_from([0, 500, 3_000, 30_000]), label="delay")
    if action == "bus" and world.bus:
        return world.bus.pop(data.draw(st.integers(0, len(world.bus) - 1), label="which"))
    if action == "answer" and world.running():
        return _answer(world, data)
    if action == "replay" and world.delivered:
        return data.draw(st.sampled_from(world.delivered), label="replayed")
    if action == "cancel":
        return CancelRun(PARENT, "user asked")
    if action == "tick":  # now, or when the run's next timer is due
        run_id = data.draw(st.sampled_from(sorted(world.states)), label="tick")
        wake = next_wake_ms(world.states[run_id]) or world.now_ms
        if data.draw(st.booleans(), label="due"):
            world.now_ms = max(world.now_ms, wake)
        return TimerFired(run_id)
    return None


def _settle(world: World, data: st.DataObject) -> None:
    """Deliver what is on the bus, answer what runs, fire what is due: every run ends."""
    for _ in range(500):
        if world.bus:
            world.send(world.bus.pop(0))
        elif world.running():
            world.send(_answer(world, data))
        elif waking := [(w, r) for r, s in world.states.items() if (w := next_wake_ms(s))]:
            at, run_id = min(waking)
            world.now_ms = max(world.now_ms, at)
            world.send(TimerFired(run_id))
        else:
            assert all(s.status.is_terminal for s in world.states.values()), world.states
            return
    raise AssertionError("the runs never ended")


def _play(parent: Pipeline, child: Pipeline, data: st.DataObject) -> World:
    world = World(parent, child)
    world.send(StartRun(PARENT, "parent", 1, {}, {"source": "API", "name": "api"}, None, TRACE))
    for _ in range(data.draw(st.integers(0, 40), label="events")):
        if (event := _next(world, data)) is not None:
            world.send(event)
    _settle(world, data)
    return world


def _sub_finishes(world: World) -> list[EmitRunEvent]:
    return [
        c
        for c in world.commands(EmitRunEvent, PARENT)
        if c.step == SUB and c.step_status is not None and c.step_status.is_finished
    ]


@settings(max_examples=150, deadline=None)
@given(world=worlds(), data=st.data())
def test_each_attempt_starts_one_child_whatever_redeliveries(
    world: tuple[Pipeline, Pipeline], data: st.DataObject
) -> None:
    played = _play(*world, data)
    starts = played.commands(StartChildRun, PARENT)
    attempts = [start.parent.attempt for start in starts]
    assert len(attempts) == len(set(attempts))  # one start command per attempt
    for start in starts:
        assert start.child_run_id == ParentStep(PARENT, SUB, start.parent.attempt).child_run_id
        assert start.params == {"uri": "s3://in/file.csv", "mode": "fast", "n": 3}
        assert start.trace == TRACE
    children = {rid for rid in played.states if rid != PARENT}
    assert children == {start.child_run_id for start in starts}
    for child in children:  # however often its start arrived, one run began
        begun = [d for rid, d in played.decisions if rid == child and d.ignored is None]
        assert sum(1 for d in begun if _starts(d)) == 1
    note_stat(f"{len(children)} children")


def _starts(decision: Decision) -> bool:
    return any(
        isinstance(c, EmitRunEvent) and c.step is None and "trigger" in c.detail
        for c in decision.commands
    )


@settings(max_examples=150, deadline=None)
@given(world=worlds(), data=st.data())
def test_the_step_finishes_once_with_its_childs_outcome(
    world: tuple[Pipeline, Pipeline], data: st.DataObject
) -> None:
    played = _play(*world, data)
    parent = played.states[PARENT]
    sub = parent.steps[SUB]
    assert len(_sub_finishes(played)) == (1 if sub.status.is_finished else 0)
    for child_id in played.states:
        if child_id == PARENT:
            continue
        answers = played.commands(SendStepResult, child_id)
        assert len(answers) == 1  # a child answers exactly once, when it ends
        assert (answers[0].run_id, answers[0].step) == (PARENT, SUB)
    if sub.attempt == 0:
        return
    child_id = ParentStep(PARENT, SUB, sub.attempt).child_run_id
    child = played.states.get(child_id)
    if sub.status is StepStatus.SUCCEEDED:
        assert child is not None and child.status is RunStatus.SUCCEEDED
        outputs = {n: s.output for n, s in child.steps.items()}
        assert sub.output == {"run_id": child_id, "status": "succeeded", "outputs": outputs}
    elif sub.status is StepStatus.FAILED and sub.error is not None:
        if child is None:  # no child: its params could not be mapped, and the step's
            # deadline may pass before that failure comes back through the bus
            assert sub.error.error_type in (CHILD_PARAM_ERROR, TIMEOUT_ERROR)
        elif sub.error.error_type.startswith("ChildRun"):
            assert child.status is not RunStatus.SUCCEEDED
            assert sub.error.error_type == f"ChildRun{child.status.value.capitalize()}"
            assert child_id in sub.error.error_message
    note_stat(f"sub {sub.status}")


@settings(max_examples=150, deadline=None)
@given(world=worlds(), data=st.data())
def test_stopping_the_step_cancels_an_unfinished_child(
    world: tuple[Pipeline, Pipeline], data: st.DataObject
) -> None:
    played = _play(*world, data)
    cancels = Counter(c.child_run_id for c in played.commands(CancelChildRun, PARENT))
    for start in played.commands(StartChildRun, PARENT):
        child_id, attempt = start.child_run_id, start.parent.attempt
        answered = _answered(played, attempt)
        child = played.states[child_id]
        if not answered:  # the step stopped before the child's answer counted
            assert cancels[child_id] == 1
            assert child.status.is_terminal
        else:
            assert cancels[child_id] == 0
    parent = played.states[PARENT]
    if parent.status is RunStatus.CANCELLED:
        note_stat("parent cancelled")


def _answered(world: World, attempt: int) -> bool:
    """Whether the child of ``attempt`` finished the step (its result was not ignored)."""
    return any(
        rid == PARENT
        and isinstance(event, StepSucceeded | StepFailedEvent)
        and event.step == SUB
        and event.attempt == attempt
        and decision.ignored is None
        for (rid, decision), event in zip(world.decisions, world.delivered, strict=True)
    )


def _parent(**sub: Any) -> Pipeline:
    step = {
        "name": SUB,
        "kind": "pipeline",
        "after": ["a"],
        "pipeline": {"name": "child", "version": 2, "params": {"uri": "steps.a.output.uri"}},
        **sub,
    }
    return make_pipeline(
        {"name": "a", "service": "svc"},
        step,
        {"name": "b", "service": "svc", "after": [SUB]},
        name="parent",
    )


def _started(pipeline: Pipeline, output: Any) -> World:
    world = World(pipeline, make_pipeline({"name": "k0", "service": "svc"}, name="child"))
    world.send(StartRun(PARENT, "parent", 1, {}, {}, None, TRACE))
    world.send(StepSucceeded(PARENT, "a", 1, output))
    return world


def test_the_child_is_pinned_and_its_outputs_reach_the_next_step() -> None:
    world = _started(_parent(), {"uri": "s3://x"})
    (start,) = world.commands(StartChildRun)
    assert (start.pipeline, start.version, start.params) == ("child", 2, {"uri": "s3://x"})
    assert start.parent.trigger() == {
        "source": "API",
        "name": "pipeline",
        "reference": f"{PARENT}/{SUB}/1",
    }
    output = {"run_id": start.child_run_id, "status": "succeeded", "outputs": {"k0": 7}}
    decision = world.send(StepSucceeded(PARENT, SUB, 1, output))
    (request,) = [c for c in decision.commands if isinstance(c, RequestStep)]
    assert request.step == "b" and request.input["upstream"] == {SUB: output}


def test_a_param_that_names_nothing_fails_the_step_with_a_clear_error() -> None:
    world = _started(_parent(), {"no_uri": True})
    (answer,) = world.commands(SendStepResult)
    assert (answer.run_id, answer.step, answer.attempt) == (PARENT, SUB, 1)
    assert answer.error is not None and answer.error.error_type == CHILD_PARAM_ERROR
    assert "steps.a.output.uri" in answer.error.error_message and not answer.error.retryable
    assert world.commands(StartChildRun) == []
    world.send(world.bus.pop())
    assert world.states[PARENT].status is RunStatus.FAILED
    assert CHILD_PARAM_ERROR in (world.states[PARENT].reason or "")


def test_a_child_nested_too_deep_fails_the_step_instead_of_starting() -> None:
    """A cycle through other pipelines (A runs B runs A) stops at MAX_CHILD_DEPTH: here
    every level is a run of the ``parent`` pipeline (the World's child is one too) whose ``sub``
    starts the next level."""
    nested = PARENT
    for level in range(1, MAX_CHILD_DEPTH + 2):
        world = World(_parent(), _parent())
        world.send(StartRun(nested, "parent", 1, {}, {}, None, TRACE))
        world.send(StepSucceeded(nested, "a", 1, {"uri": "s3://x"}))
        if level <= MAX_CHILD_DEPTH:  # levels 1..MAX start their child
            (start,) = world.commands(StartChildRun)
            assert child_depth(start.child_run_id) == level
            nested = start.child_run_id
    assert world.commands(StartChildRun) == []
    (answer,) = world.commands(SendStepResult)
    assert answer.error is not None and answer.error.error_type == CHILD_DEPTH_ERROR
    assert f"nested {MAX_CHILD_DEPTH + 1} deep" in answer.error.error_message
    assert not answer.error.retryable
    world.send(world.bus.pop())
    assert world.states[nested].status is RunStatus.FAILED


def test_a_timeout_of_the_step_cancels_its_child() -> None:
    world = _started(_parent(timeout=10), {"uri": "s3://x"})
    world.now_ms += 10_000
    decision = world.send(TimerFired(PARENT))
    cancels = [c for c in decision.commands if isinstance(c, CancelChildRun)]
    assert cancels == [CancelChildRun(f"{PARENT}~{SUB}~1", "no result within 10s (attempt 1)")]


def test_a_failed_child_fails_the_step_naming_the_child_and_its_reason() -> None:
    child = make_pipeline({"name": "k0", "service": "svc"}, name="child")
    world = World(_parent(), child)
    trigger = ParentStep(PARENT, SUB, 1).trigger()
    world.send(StartRun(f"{PARENT}~{SUB}~1", "child", 1, {}, trigger, None, TRACE))
    world.send(StepFailedEvent(f"{PARENT}~{SUB}~1", "k0", 1, "IOError", "disk full", False))
    (answer,) = world.commands(SendStepResult)
    assert answer.error is not None and answer.error.error_type == "ChildRunFailed"
    assert answer.error.error_message == (
        f"child run {PARENT}~{SUB}~1 (child@1) failed: step k0 failed: IOError: disk full"
    )


def test_a_retry_after_a_timeout_starts_a_new_child_and_ignores_the_old_ones_answer() -> None:
    world = _started(
        _parent(timeout=10, retry={"max_attempts": 2, "initial_backoff": 1}), {"uri": "u"}
    )
    world.now_ms += 10_000
    world.send(TimerFired(PARENT))  # attempt 1 times out: its child is cancelled
    world.now_ms += 5_000
    world.send(TimerFired(PARENT))  # the retry: attempt 2, a child of its own
    first, second = world.commands(StartChildRun)
    assert (first.child_run_id, second.child_run_id) == (f"{PARENT}~{SUB}~1", f"{PARENT}~{SUB}~2")
    late = world.send(StepSucceeded(PARENT, SUB, 1, {"run_id": first.child_run_id}))
    assert late.ignored == "stale-attempt"
