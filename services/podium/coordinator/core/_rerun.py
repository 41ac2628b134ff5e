"""Re-running a finished run: it goes on from where it went wrong, keeping what went right.

``RetryRun`` applies to a ``failed``, ``cancelled`` or ``compensated`` run (a ``succeeded``
one only with ``from_step``). It resets to ``pending``:

- without ``from_step``: every step that did not end well (failed, cancelled, never run)
  and every step a compensation undid, with every step after those (their dependants,
  transitively: a dependant of a failed-and-continued step ran without its output);
- with ``from_step``: those, and that step and every step after it, whatever their status
  (a run re-run from a step that went well would otherwise stop at what went wrong).

Other steps keep their status and output, so the steps after them see the same upstream.
A reset step keeps its attempt number: the next request is the attempt after its last one
(a late result of an old attempt is stale, never taken for the new one), and
``attempt_base`` makes its retry policy count this try's attempts from one. The run records
the re-run (``RunState.reruns``) and announces it with a run-level event whose detail is
``{"rerun": {...}}``; it is ``running`` again (``queued`` for a slot first under
``max_active_runs`` or a ``rate_limit``, whose slot it gave back when it finished, or while
its pipeline is paused) and fans out as at a start.

The adapter passes the pipeline the run goes on with: its pinned version, or another
version of the same pipeline when the request asked for one. Moving keeps each step's state
by name; a step the new version adds starts ``pending``, one it drops is forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from podium.contract import RunStatus, StepStatus, compensated_step
from podium.coordinator.core._fanout import advance
from podium.coordinator.core._inputs import RetryRun
from podium.coordinator.core._queued import request_admission
from podium.coordinator.core._state import (
    JsonValue,
    MapProgress,
    Rerun,
    RunState,
    StepState,
    replace_fields,
)
from podium.coordinator.core._tx import Tx, holds_slot, set_run_status
from podium.pipelines import Pipeline

RETRYABLE_STATUSES = frozenset({RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPENSATED})
"""The run statuses a re-run without ``from_step`` applies to (``succeeded`` needs one)."""

_KEPT = frozenset({StepStatus.SUCCEEDED, StepStatus.SKIPPED})


def rerun_problem(state: RunState, event: RetryRun, pipeline: Pipeline) -> str | None:
    """Why ``event`` cannot re-run ``state`` (an ignore reason), or None."""
    if stale_control(state, event.requested_at_ms):
        return "stale-request"
    if not state.status.is_terminal:
        return "run-not-finished"
    if event.from_step is None and state.status not in RETRYABLE_STATUSES:
        return "nothing-to-retry"
    if event.from_step is not None and event.from_step not in {s.name for s in pipeline.steps}:
        return "unknown-step"
    if not steps_to_reset(_moved_steps(state, pipeline), pipeline, event.from_step):
        return "nothing-to-retry"
    return None


def rerun(state: RunState, event: RetryRun, pipeline: Pipeline, now_ms: int) -> Tx:
    """The decision's working state after re-running ``state`` (check ``rerun_problem``
    first); ``pipeline`` is the version it goes on with."""
    steps = _moved_steps(state, pipeline)
    reset = steps_to_reset(steps, pipeline, event.from_step)
    record = Rerun(
        number=len(state.reruns) + 1,
        at_ms=now_ms,
        by=event.by,
        reason=event.reason,
        from_step=event.from_step,
        steps=tuple(name for name in _names(pipeline) if name in reset),
        from_version=state.version if pipeline.version != state.version else None,
    )
    reopened = replace_fields(
        state,
        version=pipeline.version,
        steps={name: _reset(step) if name in reset else step for name, step in steps.items()},
        compensation_queue=(),
        reruns=(*state.reruns, record),
        resume_to=None,
        controlled_at_ms=event.requested_at_ms,
    )
    tx = Tx(pipeline, now_ms, reopened)
    queued = holds_slot(pipeline) or event.pipeline_paused
    set_run_status(tx, RunStatus.QUEUED if queued else RunStatus.RUNNING, None)
    tx.emit_run({"rerun": rerun_detail(record, state.status)})
    if queued:  # its slot went back when it finished: ask again (see _queued)
        request_admission(tx)
    else:
        advance(tx)
    return tx


def stale_control(state: RunState, requested_at_ms: int) -> bool:
    """A re-run, pause or resume asked no later than the last one applied: a redelivery of
    it (at-least-once), or a request overtaken by a newer one. Requests for one run are
    ordered by the time their client asked."""
    return state.controlled_at_ms is not None and requested_at_ms <= state.controlled_at_ms


def steps_to_reset(
    steps: Mapping[str, StepState], pipeline: Pipeline, from_step: str | None
) -> set[str]:
    """The pipeline steps a re-run sets back to pending (see the module docstring)."""
    undone = {
        name
        for name, step in steps.items()
        if (original := compensated_step(name)) is not None
        and step.status is StepStatus.SUCCEEDED
        and original in steps
    }
    gone_wrong = {step.name for step in pipeline.steps if steps[step.name].status not in _KEPT} | {
        compensated_step(name) or name for name in undone
    }
    return _with_dependants(gone_wrong | ({from_step} if from_step else set()), pipeline)


def _with_dependants(names: Iterable[str], pipeline: Pipeline) -> set[str]:
    found, grown = set(names), True
    while grown:  # steps may be declared before their dependencies: until nothing is added
        before = len(found)
        found.update(step.name for step in pipeline.steps if found.intersection(step.after))
        grown = len(found) > before
    return found


def _moved_steps(state: RunState, pipeline: Pipeline) -> dict[str, StepState]:
    """The run's steps under ``pipeline``: kept by name, new ones pending, dropped ones (and
    their compensations) gone; the run's own version leaves them as they are."""
    if pipeline.version == state.version:
        return dict(state.steps)
    names = set(_names(pipeline))
    kept = {
        name: step
        for name, step in state.steps.items()
        if (compensated_step(name) or name) in names
    }
    return {**{name: StepState() for name in _names(pipeline)}, **kept}


def _reset(step: StepState) -> StepState:
    """Pending again; a map step runs all its items again, their attempts numbered after the
    last try's (a late result of one is then stale)."""
    done = step.map
    kept = (
        None
        if done is None
        else MapProgress(attempt_floor=done.max_attempt, max_attempt=done.max_attempt)
    )
    return StepState(attempt=step.attempt, attempt_base=step.attempt, map=kept)


def _names(pipeline: Pipeline) -> list[str]:
    return [step.name for step in pipeline.steps]


def rerun_detail(record: Rerun, was: RunStatus) -> dict[str, JsonValue]:
    """The re-run's run event detail: who, why, from where, what it reset."""
    detail: dict[str, JsonValue] = {
        "number": record.number,
        "by": record.by,
        "reason": record.reason,
        "from_step": record.from_step,
        "steps": list(record.steps),
        "was": was.value,
    }
    if record.from_version is not None:
        detail["from_version"] = record.from_version
    return detail
