"""A failed attempt: retry with backoff, or fail the step and apply its ``on_failure``.

- ``fail``: the run fails; other running steps get a cancel notice, the rest are cancelled.
- ``continue``: the step stays ``failed`` but counts as done, so its dependants run; if
  everything else succeeds the run ends ``succeeded`` (the step still shows ``failed``).
- ``compensate``: see ``_compensation``.
A failing compensation always fails the run.
"""

from __future__ import annotations

from podium.contract import RunStatus, StepError, StepStatus
from podium.coordinator.core._backoff import compute_backoff, retry_delay_ms
from podium.coordinator.core._compensation import start_compensation
from podium.coordinator.core._plan import StepSpec, to_ms
from podium.coordinator.core._state import replace_fields
from podium.coordinator.core._tx import Tx, finish_run, finish_step
from podium.pipelines import OnFailure

TIMEOUT_ERROR = "StepTimeout"
"""The error type of an attempt that got no result by its deadline (retryable)."""


def fail_attempt(tx: Tx, name: str, error: StepError, *, retry_after_ms: int | None = None) -> None:
    """The current attempt of ``name`` failed (or timed out, or its condition broke); it is
    retried if ``error.retryable`` and attempts are left, after ``retry_after_ms`` if the
    service asked for its own wait."""
    spec = tx.spec(name)
    step = tx.step(name)
    tries = step.attempt - step.attempt_base  # this try's attempts: a re-run counts anew
    if error.retryable and 1 <= tries < spec.retry.max_attempts:
        _wait_for_retry(tx, name, error, spec, retry_after_ms)
    else:
        finish_step(tx, name, StepStatus.FAILED, {"error": error.model_dump()}, error=error)
        _apply_policy(tx, name, error, spec)


def _wait_for_retry(
    tx: Tx, name: str, error: StepError, spec: StepSpec, retry_after_ms: int | None
) -> None:
    step = tx.step(name)
    seed = f"{tx.state.run_id}:{name}:{step.attempt}"
    tries = step.attempt - step.attempt_base
    backoff_ms = to_ms(compute_backoff(spec.retry, tries, seed=seed))
    retry_at = tx.now_ms + retry_delay_ms(backoff_ms, retry_after_ms)
    waiting = replace_fields(
        step,
        status=StepStatus.RETRY_WAIT,
        deadline_ms=None,
        retry_at_ms=retry_at,
        error=error,
    )
    tx.put_step(name, waiting)
    tx.emit_step(name, {"error": error.model_dump(), "retry_at_ms": retry_at})


def _apply_policy(tx: Tx, name: str, error: StepError, spec: StepSpec) -> None:
    reason = f"step {name} failed: {error.error_type}: {error.error_message}"
    if spec.on_failure is OnFailure.FAIL:  # always so for a compensation (see _plan)
        finish_run(tx, RunStatus.FAILED, reason)
    elif spec.on_failure is OnFailure.COMPENSATE:
        start_compensation(tx, reason)
    # OnFailure.CONTINUE: nothing here; the caller's fan-out treats the step as done.
