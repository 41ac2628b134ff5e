"""A failed attempt: retry with backoff, or fail the step and apply its ``on_failure``.

- ``fail``: the run fails; other running steps get a cancel notice, the rest are cancelled.
- ``continue``: the step stays ``failed`` but counts as done, so its dependants run; if
  everything else succeeds the run ends ``succeeded`` (the step still shows ``failed``).
- ``compensate``: see ``_compensation``.
A failing compensation always fails the run.
"""

from __future__ import annotations

from podium.coordinator._backoff import compute_backoff
from podium.coordinator._compensation import start_compensation
from podium.coordinator._plan import StepSpec, to_ms
from podium.coordinator._state import RunStatus, StepError, StepStatus, replace_fields
from podium.coordinator._tx import Tx, finish_run, finish_step
from podium.pipelines import OnFailure


def fail_attempt(tx: Tx, name: str, error: StepError, *, retryable: bool) -> None:
    """The current attempt of ``name`` failed (or timed out, or its condition broke)."""
    spec = tx.spec(name)
    attempt = tx.step(name).attempt
    if retryable and 1 <= attempt < spec.retry.max_attempts:
        _wait_for_retry(tx, name, error, spec)
    else:
        finish_step(tx, name, StepStatus.FAILED, {"error": error.to_json()}, error=error)
        _apply_policy(tx, name, error, spec)


def _wait_for_retry(tx: Tx, name: str, error: StepError, spec: StepSpec) -> None:
    attempt = tx.step(name).attempt
    seed = f"{tx.state.run_id}:{name}:{attempt}"
    retry_at = tx.now_ms + to_ms(compute_backoff(spec.retry, attempt, seed=seed))
    waiting = replace_fields(
        tx.step(name),
        status=StepStatus.WAITING_RETRY,
        deadline_ms=None,
        retry_at_ms=retry_at,
        error=error,
    )
    tx.put_step(name, waiting)
    tx.emit_step(name, {"error": error.to_json(), "retry_at_ms": retry_at})


def _apply_policy(tx: Tx, name: str, error: StepError, spec: StepSpec) -> None:
    reason = f"step {name} failed: {error.type}: {error.message}"
    if spec.on_failure is OnFailure.FAIL:  # always so for a compensation (see _plan)
        finish_run(tx, RunStatus.FAILED, reason)
    elif spec.on_failure is OnFailure.COMPENSATE:
        start_compensation(tx, reason)
    # OnFailure.CONTINUE: nothing here; the caller's fan-out treats the step as done.
