"""Primitives shared by the decision modules: one decision's working state.

A ``Tx`` lives for one ``decide`` call: it holds the state being built and the commands
produced so far. It is mutated only inside that call, so ``decide`` stays a pure function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from podium.contract import (
    ParentStep,
    RunStatus,
    StepError,
    StepStatus,
    compensated_step,
    compensation_envelope,
    map_item_name,
    step_envelope,
)
from podium.coordinator.core._children import child_result, start_child
from podium.coordinator.core._commands import (
    CancelChildRun,
    Command,
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestStep,
    StartChildRun,
)
from podium.coordinator.core._plan import PipelinePlan, StepSpec, plan_of
from podium.coordinator.core._state import (
    JsonValue,
    MapProgress,
    RunState,
    StepState,
    replace_fields,
)
from podium.pipelines import ChildPipeline, Pipeline, Step


@dataclass
class Tx:
    pipeline: Pipeline
    now_ms: int
    state: RunState
    commands: list[Command] = field(default_factory=list)
    plan: PipelinePlan = field(init=False)
    _steps: dict[str, StepState] | None = field(default=None, init=False)
    """The steps of ``state`` once this decision changed one: a dict of its own, shared by
    every state it builds from then on, so that later step changes neither copy the
    RunState nor its steps again. The state it was given is never touched."""

    def __post_init__(self) -> None:
        self.plan = plan_of(self.pipeline)

    def step(self, name: str) -> StepState:
        return self.state.steps[name]

    def spec(self, name: str) -> StepSpec:
        """A step's or a compensation's spec; KeyError for a name the pipeline lacks."""
        return self.plan.specs[name]

    def put_step(self, name: str, step: StepState) -> None:
        if self._steps is None or self.state.steps is not self._steps:
            self._steps = {**self.state.steps, name: step}
            self.state = replace_fields(self.state, steps=self._steps)
        else:
            self._steps[name] = step

    def emit_step(self, name: str, detail: Mapping[str, JsonValue]) -> None:
        step = self.step(name)
        self._emit(name, step.status, step.attempt, detail)

    def emit_run(self, detail: Mapping[str, JsonValue]) -> None:
        self._emit(None, None, None, detail)

    def _emit(
        self,
        name: str | None,
        status: StepStatus | None,
        attempt: int | None,
        detail: Mapping[str, JsonValue],
    ) -> None:
        event = EmitRunEvent(
            self.state.run_id, self.state.status, name, status, attempt, detail, self.now_ms
        )
        self.commands.append(event)


def done_steps(tx: Tx) -> set[str]:
    """The steps done for their dependants: succeeded, skipped, or failed with
    ``on_failure: continue``. A fan-out asks this for every pending step on every event, so
    it is answered once per question as a set (one pass over the steps), not per step."""
    continues = tx.plan.continues
    return {
        name
        for name, step in tx.state.steps.items()
        if (status := step.status) is _SUCCEEDED
        or status is _SKIPPED
        or (status is _FAILED and name in continues)
    }


# module globals: read for every step on every event, and ``StepStatus.X`` is a class
# attribute lookup through the enum's metaclass (10x slower)
_SUCCEEDED, _SKIPPED, _FAILED = StepStatus.SUCCEEDED, StepStatus.SKIPPED, StepStatus.FAILED


def request_step(tx: Tx, name: str, attempt: int) -> None:
    """Mark ``name`` running as ``attempt`` and ask its service to run it."""
    spec = tx.spec(name)
    deadline = tx.now_ms + spec.timeout_ms
    tx.put_step(name, _running(tx, name, attempt, deadline))
    run = tx.state
    if spec.child is not None:  # kind: pipeline (the only check the other steps pay)
        _request_child(tx, name, attempt, spec.child, deadline)
        return
    request = RequestStep(
        run.run_id, name, attempt, spec.topic, deadline, step_input(tx, name), run.params, run.trace
    )
    tx.commands.append(request)
    tx.emit_step(name, {"deadline_ms": deadline, "topic": spec.topic})


def _request_child(tx: Tx, name: str, attempt: int, child: ChildPipeline, deadline: int) -> None:
    command = start_child(tx.state, tx.plan.steps[name], child, attempt)
    tx.commands.append(command)
    detail: dict[str, JsonValue] = {"deadline_ms": deadline, "child_pipeline": child.name}
    if isinstance(command, StartChildRun):
        detail["child_run_id"] = command.child_run_id
    tx.emit_step(name, detail)


def stop_attempt(tx: Tx, name: str, attempt: int, reason: str) -> Command:
    """What tells a running attempt to stop: a cancel notice to its service, or the cancel
    of its child run."""
    spec = tx.spec(name)
    if spec.child is not None:
        child = ParentStep(tx.state.run_id, name, attempt).child_run_id
        return CancelChildRun(child, reason)
    return NotifyCancel(tx.state.run_id, name, attempt, spec.topic)


def stop_items(tx: Tx, name: str, progress: MapProgress) -> list[Command]:
    """Cancel notices for a map step's items running (not those waiting for a retry)."""
    topic, run_id = tx.spec(name).topic, tx.state.run_id
    return [
        NotifyCancel(run_id, map_item_name(name, index), item.attempt, topic)
        for index, item in sorted(progress.items.items())
        if item.deadline_ms is not None
    ]


def _running(tx: Tx, name: str, attempt: int, deadline: int) -> StepState:
    """A compensation has no entry until its first request, hence the default."""
    current = tx.state.steps.get(name, StepState())
    started = tx.now_ms if current.started_at_ms is None else current.started_at_ms
    return replace_fields(
        current,
        status=StepStatus.RUNNING,
        attempt=attempt,
        deadline_ms=deadline,
        retry_at_ms=None,
        started_at_ms=started,
        map=None,  # a map step of an earlier version, re-run on one where it maps nothing
    )


def step_input(tx: Tx, name: str) -> dict[str, JsonValue]:
    """The request's input; the shapes are documented on ``RequestStep``."""
    original = compensated_step(name)
    if original is not None:
        return _compensation_input(tx, tx.plan.steps[original])
    step = tx.plan.steps[name]
    return step_envelope(step.input, _upstream(tx, step))


def _compensation_input(tx: Tx, step: Step) -> dict[str, JsonValue]:
    static = step.compensation.input if step.compensation is not None else {}
    return compensation_envelope(step.name, static, step.input, tx.step(step.name).output)


def _upstream(tx: Tx, step: Step) -> dict[str, JsonValue]:
    return {dep: tx.step(dep).output for dep in step.after}


def finish_step(
    tx: Tx,
    name: str,
    status: StepStatus,
    detail: Mapping[str, JsonValue],
    *,
    output: JsonValue = None,
    error: StepError | None = None,
) -> None:
    """Move a step to a finished status for good, numbering the completion."""
    seqs = [s.completed_seq for s in tx.state.steps.values() if s.completed_seq is not None]
    done = replace_fields(
        tx.step(name),
        status=status,
        deadline_ms=None,
        retry_at_ms=None,
        output=output,
        error=error,
        finished_at_ms=tx.now_ms,
        completed_seq=max(seqs, default=0) + 1,
    )
    tx.put_step(name, done)
    tx.emit_step(name, detail)


def cancel_active(tx: Tx, reason: str) -> None:
    """Cancel every unfinished step; running ones are told to stop."""
    for name, step in list(tx.state.steps.items()):  # finish_step changes the steps
        if step.status is StepStatus.RUNNING and step.map is not None:  # a map's items
            tx.commands.extend(stop_items(tx, name, step.map))
        elif step.status is StepStatus.RUNNING:
            tx.commands.append(stop_attempt(tx, name, step.attempt, reason))
        if not step.status.is_finished:
            finish_step(tx, name, StepStatus.CANCELLED, {"reason": reason}, error=step.error)


def set_run_status(tx: Tx, status: RunStatus, reason: str | None) -> None:
    finished = tx.now_ms if status.is_terminal else None
    tx.state = replace_fields(tx.state, status=status, reason=reason, finished_at_ms=finished)


def finish_run(tx: Tx, status: RunStatus, reason: str | None = None) -> None:
    """End the run for good: cancel what is left, set the terminal status, announce it.

    Every run ends here exactly once per try (a re-run ends again, see ``_rerun``), so this
    is where a capped pipeline's run gives back its slot (or, if it was still queued, its
    place in the queue), which a re-run asks for again, and where a child run answers its
    parent's step (a re-run child's later answer is for an attempt the parent has left)."""
    cancel_active(tx, reason or status.value)
    set_run_status(tx, status, reason)
    tx.emit_run({"reason": reason} if reason else {})
    if holds_slot(tx.pipeline) or tx.state.admission_requested_at_ms is not None:
        tx.commands.append(ReleaseAdmission(tx.state.run_id, tx.state.pipeline))
    if (parent := ParentStep.of(tx.state.trigger)) is not None:  # a child run answers
        tx.commands.append(child_result(tx.state, parent, tx.plan.names))


def holds_slot(pipeline: Pipeline) -> bool:
    """A run of ``pipeline`` is admitted by the admission side and holds its slot there until
    it ends: the pipeline has ``max_active_runs`` or a ``rate_limit``."""
    return pipeline.max_active_runs is not None or pipeline.rate_limit is not None
