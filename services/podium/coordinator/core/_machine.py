"""The coordinator's decision core: ``decide(state, event, pipeline, now_ms) -> Decision``.

Pure: no I/O, no clock, no randomness. The adapter loads the run's state and pinned pipeline,
calls ``decide``, executes the commands, then stores the new state. At-least-once delivery is
made effectively-once here: an event that would change nothing (a duplicate start, a result
for a stale attempt, a finished step or a finished run, a timer with nothing due) is ignored,
counted in ``RunState.ignored`` and reported in ``Decision.ignored``.
"""

from __future__ import annotations

from dataclasses import dataclass

from podium._speedups.frozen import fast_frozen_init
from podium.contract import RunStatus, StepError, StepStatus, compensated_step, map_item_of
from podium.coordinator.core._backoff import heartbeat_deadline_ms
from podium.coordinator.core._commands import Command, WakeAt
from podium.coordinator.core._compensation import compensation_succeeded
from podium.coordinator.core._failure import TIMEOUT_ERROR, fail_attempt
from podium.coordinator.core._fanout import advance
from podium.coordinator.core._inputs import (
    Admitted,
    CancelRun,
    Event,
    PauseRun,
    ResumeRun,
    RetryRun,
    StartRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.coordinator.core._map import (
    item_failed,
    item_heartbeat,
    item_problem,
    item_succeeded,
    map_timer,
)
from podium.coordinator.core._pause import pause, resume
from podium.coordinator.core._queued import (
    admission_retry_ms,
    on_admitted,
    on_queued_timer,
    request_admission,
)
from podium.coordinator.core._rerun import rerun, rerun_problem
from podium.coordinator.core._state import RunState, StepState, replace_fields
from podium.coordinator.core._tx import (
    Tx,
    finish_run,
    finish_step,
    holds_slot,
    request_step,
    stop_attempt,
)
from podium.pipelines import Pipeline


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Decision:
    """The new state (None only for an event about an unknown run), the commands to execute
    (always ending with one ``WakeAt``), and why the event was ignored, if it was."""

    state: RunState | None
    commands: tuple[Command, ...]
    ignored: str | None = None


def decide(state: RunState | None, event: Event, pipeline: Pipeline, now_ms: int) -> Decision:
    """Apply one event to one run. Raises ValueError if the event, state and pipeline
    disagree on the run id or the pipeline (a bug in the caller, not a bad message)."""
    if isinstance(event, StartRun):
        return _start_run(state, event, pipeline, now_ms)
    if state is None:
        return _ignored(None, event.run_id, "unknown-run")
    if state.status.is_terminal:
        if isinstance(event, RetryRun):  # the one event a finished run takes
            return _rerun(state, event, pipeline, now_ms)
        _check_run(state, event.run_id, pipeline)
        return _ignored(state, state.run_id, "run-finished")
    _check_run(state, event.run_id, pipeline)
    tx = Tx(pipeline, now_ms, state)
    reason = _apply(tx, event)
    if reason is not None:
        return _ignored(state, state.run_id, reason)
    return _commit(tx)


def next_wake_ms(state: RunState) -> int | None:
    """The earliest deadline or retry time of the run; None when finished or nothing is due.

    The adapter uses it (and ``WakeAt``) to keep its timer heap, rebuilt from the table.
    A queued run wakes to ask for admission again; a paused one only for its deadlines (its
    retries wait for the resume)."""
    status = state.status
    if status.is_terminal:
        return None
    if status is RunStatus.QUEUED:
        return admission_retry_ms(state)
    if status is RunStatus.PAUSED:
        return min(_deadlines(state), default=None)
    times = [t for step in state.steps.values() if (t := step.timer_ms()) is not None]
    return min(times, default=None)


def _deadlines(state: RunState) -> list[int]:
    return [
        step.deadline_ms
        for step in state.steps.values()
        if step.status is StepStatus.RUNNING and step.deadline_ms is not None
    ]


def _apply(tx: Tx, event: Event) -> str | None:
    """Dispatch; each handler returns an ignore reason, or None after changing ``tx``."""
    match event:
        case StepSucceeded():
            return _on_succeeded(tx, event)
        case StepFailedEvent():
            return _on_failed(tx, event)
        case StepHeartbeatEvent():
            return _on_heartbeat(tx, event)
        case TimerFired():
            return on_queued_timer(tx) if tx.state.status is RunStatus.QUEUED else _on_timer(tx)
        case Admitted():
            return on_admitted(tx)
        case CancelRun():
            finish_run(tx, RunStatus.CANCELLED, event.reason or "cancelled")
            return None
        case PauseRun():
            return pause(tx, event)
        case ResumeRun():
            return resume(tx, event)
        case RetryRun():  # a finished run's is handled before this (see decide)
            return "run-not-finished"
    raise TypeError(f"not a coordinator event: {event!r}")


def _start_run(
    state: RunState | None, event: StartRun, pipeline: Pipeline, now_ms: int
) -> Decision:
    if state is not None:
        return _ignored(state, state.run_id, "duplicate")
    if (event.pipeline, event.version) != (pipeline.name, pipeline.version):
        raise ValueError(
            f"run {event.run_id} asks for {event.pipeline}@{event.version}, "
            f"but decide() was given {pipeline.key}"
        )
    queued = holds_slot(pipeline) or event.pipeline_paused
    status = RunStatus.QUEUED if queued else RunStatus.RUNNING
    tx = Tx(pipeline, now_ms, _new_run(event, pipeline, now_ms, status))
    tx.emit_run(_start_detail(event, pipeline))
    if queued:  # no step until Admitted (see _queued)
        request_admission(tx)
    else:
        advance(tx)
    return _commit(tx)


def _new_run(event: StartRun, pipeline: Pipeline, now_ms: int, status: RunStatus) -> RunState:
    return RunState(
        run_id=event.run_id,
        pipeline=event.pipeline,
        version=event.version,
        status=status,
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
        params=dict(event.params),
        trigger=dict(event.trigger),
        trace=dict(event.trace),
        requested_at_ms=event.requested_at_ms,
        steps={step.name: StepState() for step in pipeline.steps},
        priority=event.priority,
    )


def _start_detail(event: StartRun, pipeline: Pipeline) -> dict[str, object]:
    detail: dict[str, object] = {
        "pipeline": event.pipeline,
        "version": event.version,
        "params": dict(event.params),
        "trigger": dict(event.trigger),
        "requested_at_ms": event.requested_at_ms,
    }
    if pipeline.max_active_runs is not None:
        detail["max_active_runs"] = pipeline.max_active_runs
    if pipeline.rate_limit is not None:
        detail["rate_limit"] = pipeline.rate_limit.model_dump(mode="json")
    if event.pipeline_paused:
        detail["pipeline_paused"] = True
    if event.priority:
        detail["priority"] = event.priority
    return detail


def _check_run(state: RunState, run_id: str, pipeline: Pipeline) -> None:
    if run_id != state.run_id:
        raise ValueError(f"event for run {run_id} applied to run {state.run_id}")
    if (state.pipeline, state.version) != (pipeline.name, pipeline.version):
        raise ValueError(
            f"run {state.run_id} is pinned to {state.pipeline}@{state.version}, "
            f"but decide() was given {pipeline.key}"
        )


def _result_problem(state: RunState, name: str, attempt: int) -> str | None:
    """Why a result or heartbeat for ``name``/``attempt`` must be ignored, if it must."""
    step = state.steps.get(name)
    if step is None:
        return "unknown-step"
    if attempt < step.attempt:
        return "stale-attempt"
    if attempt > step.attempt:
        return "unknown-attempt"
    if step.status is StepStatus.RUNNING:  # a map step is answered item by item
        return None if step.map is None else "map-step"
    if step.status is StepStatus.RETRY_WAIT:  # this attempt already counted as failed
        return "stale-attempt"
    return "step-finished" if step.status.is_finished else "not-running"


def _on_succeeded(tx: Tx, event: StepSucceeded) -> str | None:
    if problem := _result_problem(tx.state, event.step, event.attempt):
        return _on_item(tx, event) if problem == "unknown-step" else problem
    detail = {"output": event.output}
    finish_step(tx, event.step, StepStatus.SUCCEEDED, detail, output=event.output)
    if compensated_step(event.step) is not None:
        compensation_succeeded(tx)
    else:
        advance(tx)
    return None


def _on_failed(tx: Tx, event: StepFailedEvent) -> str | None:
    if problem := _result_problem(tx.state, event.step, event.attempt):
        return _on_item(tx, event) if problem == "unknown-step" else problem
    error = StepError(
        error_type=event.error_type, error_message=event.error_message, retryable=event.retryable
    )
    fail_attempt(tx, event.step, error, retry_after_ms=event.retry_after_ms)
    advance(tx)
    return None


def _on_heartbeat(tx: Tx, event: StepHeartbeatEvent) -> str | None:
    if problem := _result_problem(tx.state, event.step, event.attempt):
        return _on_item(tx, event) if problem == "unknown-step" else problem
    deadline = heartbeat_deadline_ms(tx.now_ms, tx.spec(event.step).timeout_ms, event.extend_ms)
    tx.put_step(event.step, replace_fields(tx.step(event.step), deadline_ms=deadline))
    return None


def _on_item(tx: Tx, event: StepSucceeded | StepFailedEvent | StepHeartbeatEvent) -> str | None:
    """A map item's result or heartbeat (its step is ``<step>[<index>]``, see ``_map``): only
    a name no step has gets here, so other steps never pay for it."""
    item = map_item_of(event.step)
    if item is None:
        return "unknown-step"
    name, index = item
    if problem := item_problem(tx, name, index, event.attempt):
        return problem
    if isinstance(event, StepHeartbeatEvent):
        item_heartbeat(tx, name, index, event.extend_ms)
        return None
    if isinstance(event, StepSucceeded):
        item_succeeded(tx, name, index, event.output)
    else:
        error = StepError(
            error_type=event.error_type,
            error_message=event.error_message,
            retryable=event.retryable,
        )
        item_failed(tx, name, index, error, event.retry_after_ms)
    advance(tx)
    return None


def _on_timer(tx: Tx) -> str | None:
    """Time out overdue attempts and retry waiting steps, earliest first."""
    paused = tx.state.status is RunStatus.PAUSED  # then retries wait for the resume
    due = sorted(
        (when, name)
        for name, step in tx.state.steps.items()
        if (when := step.timer_ms()) is not None
        and when <= tx.now_ms
        and not (paused and step.status is StepStatus.RETRY_WAIT)
    )
    if not due:
        return "not-due"
    for _, name in due:
        _fire(tx, name)
    advance(tx)
    return None


def _fire(tx: Tx, name: str) -> None:
    """One due timer; re-checked because an earlier one may have ended the run."""
    step = tx.step(name)
    if step.map is not None and step.status is StepStatus.RUNNING:  # its items' timers
        map_timer(tx, name)
    elif step.status is StepStatus.RUNNING:
        timeout_s = tx.spec(name).timeout_ms / 1000
        message = f"no result within {timeout_s:g}s (attempt {step.attempt})"
        # the attempt may still be running at its service: tell it to stop, as a run's
        # cancel does, so a retry never races the attempt it replaces
        tx.commands.append(stop_attempt(tx, name, step.attempt, message))
        timeout = StepError(error_type=TIMEOUT_ERROR, error_message=message, retryable=True)
        fail_attempt(tx, name, timeout)
    elif step.status is StepStatus.RETRY_WAIT:
        request_step(tx, name, step.attempt + 1)


def _rerun(state: RunState, event: RetryRun, pipeline: Pipeline, now_ms: int) -> Decision:
    """A finished run goes on (``_rerun``); ``pipeline`` may be another version of its own."""
    if event.run_id != state.run_id or pipeline.name != state.pipeline:
        raise ValueError(f"re-run of {state.run_id} given {event.run_id} of {pipeline.key}")
    if problem := rerun_problem(state, event, pipeline):
        return _ignored(state, state.run_id, problem)
    return _commit(rerun(state, event, pipeline, now_ms))


def _commit(tx: Tx) -> Decision:
    state = replace_fields(tx.state, updated_at_ms=tx.now_ms)
    wake = WakeAt(state.run_id, next_wake_ms(state))
    return Decision(state, (*tx.commands, wake))


def _ignored(state: RunState | None, run_id: str, reason: str) -> Decision:
    if state is None:
        return Decision(None, (WakeAt(run_id, None),), reason)
    counts = {**state.ignored, reason: state.ignored.get(reason, 0) + 1}
    counted = replace_fields(state, ignored=counts)
    return Decision(counted, (WakeAt(run_id, next_wake_ms(counted)),), reason)
