"""Sub-pipelines: a ``kind: pipeline`` step's attempt is a child run of another pipeline.

Requesting the step (``_tx.request_step``) starts the child instead of asking a service:
``StartChildRun`` with the id ``<parent>~<step>~<attempt>`` (so a redelivered event that
requests the same attempt again asks for the same child, which its coordinator ignores),
its params mapped from the parent's run. A param whose reference names nothing in the run
answers the step itself with a non-retryable ``ChildParamError`` (``SendStepResult``: the
failure comes back as an ordinary StepFailed, so ``on_failure`` applies as for any step),
and so does a child that would be nested deeper than ``MAX_CHILD_DEPTH``
(``ChildDepthExceeded``): ``validate`` cannot see a cycle through other pipelines (A runs B
runs A), which would otherwise start child runs without end.
When a run whose trigger names a parent ends (``_tx.finish_run``), it answers the parent's
step: succeeded -> the step's output is ``{"run_id", "status", "outputs": {<step>: <output
of each succeeded step>}}``; failed, cancelled or compensated -> a non-retryable failure
(``ChildRunFailed``, ``ChildRunCancelled``, ``ChildRunCompensated``) naming the child and
its reason. Stopping the step (a cancel of the parent, a timeout) cancels the child.
Pure functions of the state: ``_tx`` calls them, so they never see a ``Tx``.
"""

from __future__ import annotations

from collections.abc import Iterable

from podium.contract import ParentStep, RunStatus, StepError, StepStatus
from podium.coordinator.core._commands import SendStepResult, StartChildRun
from podium.coordinator.core._state import JsonValue, RunState
from podium.pipelines import ChildPipeline, Step, reference_value

CHILD_PARAM_ERROR = "ChildParamError"
"""The error type of a pipeline step whose child params cannot be mapped (not retryable)."""

CHILD_DEPTH_ERROR = "ChildDepthExceeded"
"""The error type of a pipeline step whose child would be nested too deep (not retryable)."""

MAX_CHILD_DEPTH = 8
"""How deep child runs may nest (a top-level run's children are at depth 1). Deeper
nesting is a cycle far more often than a design; a child id also grows with each level."""


def start_child(
    run: RunState, step: Step, child: ChildPipeline, attempt: int
) -> StartChildRun | SendStepResult:
    """The child run of ``step``'s ``attempt``, or the step's failure when a param of it
    names nothing in the run."""
    parent = ParentStep(run.run_id, step.name, attempt)
    if (depth := child_depth(parent.child_run_id)) > MAX_CHILD_DEPTH:
        message = (
            f"child run of pipeline {child.name!r} would be nested {depth} deep (at most "
            f"{MAX_CHILD_DEPTH}): does a pipeline run itself through another (A runs B runs A)?"
        )
        return _refusal(run.run_id, step.name, attempt, CHILD_DEPTH_ERROR, message)
    params: dict[str, JsonValue] = {}
    for name, given in child.params.items():
        value = _mapped(run, step, given)
        if value is None:
            message = f"param {name!r} of child pipeline {child.name!r}: the run has no {given}"
            return _refusal(run.run_id, step.name, attempt, CHILD_PARAM_ERROR, message)
        params[name] = value
    return StartChildRun(parent, parent.child_run_id, child.name, child.version, params, run.trace)


def child_depth(run_id: str) -> int:
    """How deep a run nests: 0 for a top-level run, one more per ``~<step>~<attempt>`` of its
    id (see ``ParentStep.child_run_id``)."""
    return run_id.count("~") // 2


def _refusal(run_id: str, step: str, attempt: int, kind: str, message: str) -> SendStepResult:
    """The step's own non-retryable failure, instead of a child run."""
    error = StepError(error_type=kind, error_message=message, retryable=False)
    return SendStepResult(run_id, step, attempt, None, error)


def _mapped(run: RunState, step: Step, given: JsonValue) -> JsonValue:
    """A literal as it is; a reference's value in the run (None: it names nothing)."""
    if not isinstance(given, str):
        return given
    upstream = {dep: run.steps[dep].output for dep in step.after}
    return reference_value(
        given, run_id=run.run_id, params=run.params, input=step.input, upstream=upstream
    )


def child_result(run: RunState, parent: ParentStep, names: Iterable[str]) -> SendStepResult:
    """The answer of a finished child ``run`` to its parent's step; ``names`` are the
    child pipeline's steps (its compensations are not outputs)."""
    status = run.status
    if status is RunStatus.SUCCEEDED:
        outputs = {
            name: run.steps[name].output
            for name in names
            if run.steps[name].status is StepStatus.SUCCEEDED
        }
        output = {"run_id": run.run_id, "status": status.value.lower(), "outputs": outputs}
        return SendStepResult(parent.run_id, parent.step, parent.attempt, output, None)
    reason = run.reason or status.value.lower()
    message = f"child run {run.run_id} ({run.pipeline}@{run.version}) {status.value.lower()}: "
    error = StepError(
        error_type=f"ChildRun{status.value.capitalize()}",
        error_message=message + reason,
        retryable=False,
    )
    return SendStepResult(parent.run_id, parent.step, parent.attempt, None, error)
