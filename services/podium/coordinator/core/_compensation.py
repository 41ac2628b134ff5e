"""Compensation: undo the completed steps, newest first, one at a time.

When a step with ``on_failure: compensate`` fails for good, every other unfinished step is
cancelled (running ones get a cancel notice) and the run turns ``compensating``. Each
succeeded step that declares a ``compensation`` is then undone in reverse order of
completion, as step ``compensate:<step>`` on the compensation's topic, with the original
step's retry policy. All undone -> ``compensated``; a compensation failing for good ->
``failed`` (the rest stays in ``compensation_queue``, not undone). In a paused run the
queue waits for the resume (see ``_pause``).
"""

from __future__ import annotations

from podium.contract import RunStatus, StepStatus, compensation_name
from podium.coordinator.core._state import replace_fields
from podium.coordinator.core._tx import (
    Tx,
    cancel_active,
    finish_run,
    request_step,
    set_run_status,
)


def start_compensation(tx: Tx, reason: str) -> None:
    cancel_active(tx, reason)
    queue = _to_compensate(tx)
    if tx.state.status is RunStatus.PAUSED:  # nothing is requested until resumed (_pause)
        paused = {"compensation_queue": queue, "reason": reason}
        tx.state = replace_fields(tx.state, resume_to=RunStatus.COMPENSATING, **paused)
        tx.emit_run({"reason": reason, "compensate": list(queue), "until": "resumed"})
        return
    set_run_status(tx, RunStatus.COMPENSATING, reason)
    tx.state = replace_fields(tx.state, compensation_queue=queue)
    tx.emit_run({"reason": reason, "compensate": list(queue)})
    next_compensation(tx)


def _to_compensate(tx: Tx) -> tuple[str, ...]:
    done = [
        (tx.step(step.name).completed_seq or 0, step.name)
        for step in tx.pipeline.steps
        if step.compensation is not None and tx.step(step.name).status is StepStatus.SUCCEEDED
    ]
    return tuple(name for _, name in sorted(done, reverse=True))


def next_compensation(tx: Tx) -> None:
    """Request the head of the queue, or end the run ``compensated`` when it is empty."""
    queue = tx.state.compensation_queue
    if queue:
        _request_compensation(tx, compensation_name(queue[0]))
    else:
        finish_run(tx, RunStatus.COMPENSATED, tx.state.reason)


def _request_compensation(tx: Tx, name: str) -> None:
    """Attempt 1, or, for a compensation a re-run asks for again, the attempt after its
    last one (counted anew by its retry policy, like a re-run step's)."""
    earlier = tx.state.steps.get(name)
    if earlier is None:
        request_step(tx, name, 1)
        return
    tx.put_step(name, replace_fields(earlier, attempt_base=earlier.attempt))
    request_step(tx, name, earlier.attempt + 1)


def compensation_succeeded(tx: Tx) -> None:
    tx.state = replace_fields(tx.state, compensation_queue=tx.state.compensation_queue[1:])
    next_compensation(tx)
