"""Pausing and resuming a run: no new step is requested while it is paused.

``PauseRun`` turns a ``running`` run ``paused``. Its running attempts go on and their results
are kept (a success is stored, a failure waits for its retry), but nothing new is requested:
no dependant, no retry (a retry time that passes waits for the resume), no compensation (a
step that fails for good under ``compensate`` cancels the others and leaves its queue for the
resume: ``resume_to`` is then ``compensating``). Deadlines still fire, since an attempt that
times out has to be told to stop. A failure under ``fail`` still fails the run, a cancel
still cancels it, and a paused run whose every step is done succeeds: pausing holds back new
work, it does not hold a finished run open.

``ResumeRun`` sets the run back to ``resume_to`` (``running`` by default): retries whose time
passed are requested at once (a map step's due item retries and next items too), then ready
steps start (or the compensation queue goes on).
A pause of a run that is not running (queued for a slot, compensating, paused), a resume
of one that is not paused, and a request asked no later than the last one applied (a
redelivery: see ``stale_control``) change nothing and are counted.
"""

from __future__ import annotations

from podium.contract import RunStatus, StepStatus
from podium.coordinator.core._compensation import next_compensation
from podium.coordinator.core._fanout import advance
from podium.coordinator.core._inputs import PauseRun, ResumeRun
from podium.coordinator.core._map import refill
from podium.coordinator.core._rerun import stale_control
from podium.coordinator.core._state import JsonValue, replace_fields
from podium.coordinator.core._tx import Tx, request_step, set_run_status


def pause(tx: Tx, event: PauseRun) -> str | None:
    status = tx.state.status
    if stale_control(tx.state, event.requested_at_ms):
        return "stale-request"
    if status is RunStatus.PAUSED:
        return "already-paused"
    if status is not RunStatus.RUNNING:
        return "not-running"
    set_run_status(tx, RunStatus.PAUSED, None)
    tx.state = replace_fields(
        tx.state, resume_to=RunStatus.RUNNING, controlled_at_ms=event.requested_at_ms
    )
    tx.emit_run({"paused": _who(event.by, event.reason)})
    return None


def resume(tx: Tx, event: ResumeRun) -> str | None:
    if stale_control(tx.state, event.requested_at_ms):
        return "stale-request"
    if tx.state.status is not RunStatus.PAUSED:
        return "not-paused"
    back_to = tx.state.resume_to or RunStatus.RUNNING
    set_run_status(tx, back_to, tx.state.reason)
    tx.state = replace_fields(tx.state, resume_to=None, controlled_at_ms=event.requested_at_ms)
    tx.emit_run({"resumed": _who(event.by, event.reason)})
    if back_to is RunStatus.COMPENSATING:
        next_compensation(tx)
        return None
    for name, step in list(tx.state.steps.items()):
        if step.status is StepStatus.RETRY_WAIT and (step.retry_at_ms or 0) <= tx.now_ms:
            request_step(tx, name, step.attempt + 1)
        elif step.status is StepStatus.RUNNING and step.map is not None:
            refill(tx, name)  # a map's due retries and next items
    advance(tx)
    return None


def _who(by: str, reason: str) -> dict[str, JsonValue]:
    return {"by": by, "reason": reason}
