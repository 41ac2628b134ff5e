"""Runs waiting for admission: queued until the admission side lets them in.

A run waits when its pipeline has ``max_active_runs`` or a ``rate_limit`` (``holds_slot``),
or when the adapter told it the pipeline is paused (``StartRun.pipeline_paused``).
Admission crosses runs, so the per-run machine only asks and answers: such a run starts
``queued`` and emits ``RequestAdmission``; ``Admitted`` turns it ``running`` and fans out as
an uncapped start would; its end emits ``ReleaseAdmission`` (see ``finish_run``). The queue
itself lives in ``_admission``, keyed by pipeline name.

A queued run asks again every ``ADMISSION_RETRY_MS`` until admitted: if its request or the
answer was lost (a crash between writing the table and producing), the repeat heals it, and
the admission side absorbs repeats (a queued run stays put, an admitted one is re-announced).
"""

from __future__ import annotations

from podium.contract import RunStatus
from podium.coordinator.core._commands import RequestAdmission
from podium.coordinator.core._fanout import advance
from podium.coordinator.core._state import RunState, replace_fields
from podium.coordinator.core._tx import Tx, set_run_status

ADMISSION_RETRY_MS = 30_000
"""How long a queued run waits for an answer before asking for admission again."""


def request_admission(tx: Tx) -> None:
    """Ask for a slot (again), remembering when, so the retry timer knows when to fire."""
    run = replace_fields(tx.state, admission_requested_at_ms=tx.now_ms)
    tx.state = run
    request = RequestAdmission(
        run.run_id, run.pipeline, run.version, run.requested_at_ms, run.priority
    )
    tx.commands.append(request)


def admission_retry_ms(state: RunState) -> int | None:
    """When a queued run asks again; None for a run that is not queued."""
    if state.status is not RunStatus.QUEUED:
        return None
    asked = state.admission_requested_at_ms
    return (state.created_at_ms if asked is None else asked) + ADMISSION_RETRY_MS


def on_admitted(tx: Tx) -> str | None:
    """Queued -> running, then start the ready steps; a repeated Admitted changes nothing."""
    if tx.state.status is not RunStatus.QUEUED:
        return "already-admitted"
    set_run_status(tx, RunStatus.RUNNING, None)
    tx.emit_run({"queued_ms": tx.now_ms - tx.state.created_at_ms})
    advance(tx)
    return None


def on_queued_timer(tx: Tx) -> str | None:
    """No answer yet: ask for admission again."""
    due = admission_retry_ms(tx.state)
    if due is None or due > tx.now_ms:
        return "not-due"
    request_admission(tx)
    return None
