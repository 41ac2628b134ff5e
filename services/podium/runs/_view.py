"""The run read model's pure core: ``RunStatusChanged`` events folded into run views.

The coordinator emits one event per transition on ``podium.run.events``, in order
per run (one key, one partition). At-least-once delivery still means duplicates,
and a restarted coordinator may re-emit an earlier transition after later ones, so
folding is guarded by an order key instead of trusting arrival order:

- a step event applies only when ``(attempt, rank of step status, changed_at)`` is
  not older than what the step already shows (a finished step never goes back to
  running, an old attempt never overwrites a newer one);
- the run's status moves the same way by ``(rank of run status, changed_at)``, so a
  terminal status is never regressed;
- timings use ``min`` / ``max`` and the rest is copied from the event.

Applying the same event twice therefore changes nothing. One event does start a view
over: a run-level start (``QUEUED`` or ``RUNNING``) stamped after the run finished. The
coordinator forgets a finished run after its retention, and a start with that run id is
then a new run; a redelivered start of the finished run is never later than its end.

A re-run (a run-level event whose detail has ``rerun``, numbered) reopens the view instead:
the run is running again, the steps it lists are pending again (attempts kept), and from
then on a run or step event stamped before the re-run is an old one redelivered, and
ignored. A pause and a resume are run-level events with ``paused`` / ``resumed`` detail.
No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from podium._json_limits import read_json
from podium.contract import (
    ParentStep,
    RunRequested,
    RunStatus,
    RunStatusChanged,
    StepError,
    StepStatus,
)

TERMINAL_RUN_STATUSES = frozenset(
    {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPENSATED}
)
FINISHED_STEP_STATUSES = frozenset(
    {
        StepStatus.SUCCEEDED,
        StepStatus.FAILED,
        StepStatus.SKIPPED,
        StepStatus.CANCELLED,
        StepStatus.COMPENSATED,
    }
)
_RUN_RANK = {
    RunStatus.UNKNOWN: 0,
    RunStatus.QUEUED: 0,
    RunStatus.RUNNING: 1,
    RunStatus.PAUSED: 1,
    RunStatus.CANCELLING: 2,
    RunStatus.COMPENSATING: 2,
}
_STEP_RANK = {
    StepStatus.UNKNOWN: 0,
    StepStatus.PENDING: 0,
    StepStatus.REQUESTED: 1,
    StepStatus.RUNNING: 1,
    StepStatus.RETRY_WAIT: 2,
    StepStatus.COMPENSATING: 2,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def run_rank(status: RunStatus) -> int:
    """How far along a run status is: queued 0, running 1, winding down 2, terminal 3."""
    return 3 if status in TERMINAL_RUN_STATUSES else _RUN_RANK.get(status, 0)


def step_rank(status: StepStatus) -> int:
    """How far along one attempt is: pending 0, running 1, retry wait 2, finished 3."""
    return 3 if status in FINISHED_STEP_STATUSES else _STEP_RANK.get(status, 0)


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One attempt of a step: when it ran, how it ended."""

    number: int
    status: StepStatus
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: StepError | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StepView:
    """One step of a run as the events show it (``compensate:<step>`` for compensations)."""

    status: StepStatus
    attempt: int = 0
    attempts: tuple[AttemptView, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    output: Any = None
    error: StepError | None = None
    reason: str | None = None
    deadline_at: datetime | None = None
    retry_at: datetime | None = None
    changed_at: datetime = _EPOCH
    reset_at: datetime | None = None
    """When a re-run set the step back to pending: older events of it are redeliveries."""
    child_run_id: str | None = None
    """A ``kind: pipeline`` step's child run (of its latest attempt)."""
    map: Mapping[str, Any] | None = None
    """A map step's progress (``for_each``): ``items``, ``succeeded``, ``failed_count``,
    ``failed`` (the first failed indices), from its latest event that said."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STEP_STATUSES

    @property
    def order_key(self) -> tuple[int, int, datetime]:
        return (self.attempt, step_rank(self.status), self.changed_at)


@dataclass(frozen=True, slots=True)
class RunView:
    """One run as the read model knows it."""

    run_id: str
    pipeline: str
    version: int | None
    status: RunStatus
    params: dict[str, Any] = field(default_factory=dict)
    trigger: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = _EPOCH
    updated_at: datetime = _EPOCH
    finished_at: datetime | None = None
    reason: str | None = None
    error: StepError | None = None
    steps: dict[str, StepView] = field(default_factory=dict)
    status_changed_at: datetime = _EPOCH
    trace_id: str | None = None
    """The run's trace (from its events' ``traceparent``), for a link to the tracing UI."""
    reruns: tuple[dict[str, Any], ...] = ()
    """Each re-run as its event's detail said (number, by, reason, from_step, steps, was)
    plus ``at``, oldest first."""
    paused: dict[str, Any] | None = None
    """Who paused the run and why (``by``, ``reason``, ``at``), while it is paused."""
    reopened_at: datetime | None = None
    priority: int = 0
    """Its order among runs waiting for admission (the run-start event's ``priority``)."""
    admission: tuple[str, ...] = ()
    """What its start said it waits for while queued: ``pipeline paused`` (it started while
    its pipeline was paused), ``max_active_runs N``, ``rate_limit X/s`` (the start event's
    detail)."""

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES

    @property
    def parent(self) -> ParentStep | None:
        """The parent step attempt that started this run as its child, if one did."""
        return ParentStep.of(self.trigger)


def apply_event(views: Mapping[str, RunView], event: RunStatusChanged) -> dict[str, RunView]:
    """``views`` with ``event`` folded into its run; the input mapping is not changed."""
    return {**views, event.run_id: apply_to_view(views.get(event.run_id), event)}


def apply_to_view(view: RunView | None, event: RunStatusChanged) -> RunView:
    """The run after ``event`` (a new view when ``view`` is None, or when ``event`` starts
    the run id again after it finished); pure and idempotent."""
    detail = _detail(event)
    if view is not None and event.step is None and isinstance(detail.get("rerun"), dict):
        view = _reopened(view, event, detail["rerun"])
    elif view is not None and _starts_again(view, event):
        view = None
    view = _touched(view or _empty(event), event)
    if event.step is not None:
        view = _with_step(view, event.step, event)
    view = _with_run_status(view, event)
    if event.step is None and ("paused" in detail or "resumed" in detail):
        view = _with_pause(view, event, detail)
    return _with_start_detail(view, detail)


def _reopened(view: RunView, event: RunStatusChanged, rerun: Mapping[str, Any]) -> RunView:
    """The view after its run's re-run number ``rerun["number"]`` (once: a repeat or an
    older one changes nothing)."""
    number = rerun.get("number")
    if not isinstance(number, int) or number <= len(view.reruns):
        return view
    at = event.changed_at
    reset = [name for name in rerun.get("steps", ()) if isinstance(name, str)]
    steps = {**view.steps, **{name: _pending_again(view.steps.get(name), at) for name in reset}}
    return replace(
        view,
        status=event.status,
        status_changed_at=at,
        finished_at=None,
        reason=None,
        error=None,
        steps=steps,
        reruns=(*view.reruns, {**rerun, "at": at.isoformat(timespec="milliseconds")}),
        paused=None,
        reopened_at=at,
    )


def _pending_again(step: StepView | None, at: datetime) -> StepView:
    """A step a re-run reset: pending, its attempts' history kept."""
    if step is None:
        return StepView(StepStatus.PENDING, changed_at=at, reset_at=at)
    return replace(
        step,
        status=StepStatus.PENDING,
        finished_at=None,
        output=None,
        error=None,
        reason=None,
        deadline_at=None,
        retry_at=None,
        changed_at=at,
        reset_at=at,
    )


def _with_pause(view: RunView, event: RunStatusChanged, detail: Mapping[str, Any]) -> RunView:
    if view.status_changed_at != event.changed_at:  # an older pause or resume: not applied
        return view
    said = detail.get("paused")
    if not isinstance(said, Mapping):
        return replace(view, paused=None)
    at = event.changed_at.isoformat(timespec="milliseconds")
    return replace(view, paused={"by": said.get("by"), "reason": said.get("reason"), "at": at})


_STARTS = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})


def _stamped_before(moment: datetime | None, event: RunStatusChanged) -> bool:
    return moment is not None and event.changed_at < moment


def _starts_again(view: RunView, event: RunStatusChanged) -> bool:
    """A run-level start stamped after ``view``'s run finished: a new run of that id."""
    return (
        view.finished_at is not None
        and event.step is None
        and event.status in _STARTS
        and event.changed_at > view.finished_at
    )


def requested_view(event: RunRequested) -> RunView:
    """A placeholder (status QUEUED) for a run requested here but not yet started."""
    return RunView(
        run_id=event.run_id,
        pipeline=event.pipeline,
        version=_version(event.pipeline_version),
        status=RunStatus.QUEUED,
        params=_as_dict(_loads(event.params_json)),
        trigger=event.trigger.model_dump(mode="json"),
        created_at=event.requested_at,
        updated_at=event.requested_at,
        status_changed_at=event.requested_at,
        priority=event.priority,
    )


def _empty(event: RunStatusChanged) -> RunView:
    at = event.changed_at
    return RunView(
        event.run_id, event.pipeline, None, RunStatus.UNKNOWN, created_at=at, updated_at=at
    )


def _touched(view: RunView, event: RunStatusChanged) -> RunView:
    return replace(
        view,
        pipeline=event.pipeline,
        version=_version(event.pipeline_version) or view.version,
        created_at=min(view.created_at, event.changed_at),
        updated_at=max(view.updated_at, event.changed_at),
    )


def _with_run_status(view: RunView, event: RunStatusChanged) -> RunView:
    key = (run_rank(event.status), event.changed_at)
    if key < (run_rank(view.status), view.status_changed_at):
        return view
    if _stamped_before(view.reopened_at, event):  # from before a re-run: redelivered
        return view
    terminal = event.status in TERMINAL_RUN_STATUSES
    run_level = event.step is None
    return replace(
        view,
        status=event.status,
        status_changed_at=event.changed_at,
        finished_at=event.changed_at if terminal else None,
        reason=(event.reason or view.reason) if run_level else view.reason,
        error=_run_error(view, event) if run_level else view.error,
    )


def _run_error(view: RunView, event: RunStatusChanged) -> StepError | None:
    """The run's error: the event's own, else the failed step's when the run went wrong."""
    if event.error is not None:
        return event.error
    if event.status not in (RunStatus.FAILED, RunStatus.COMPENSATING, RunStatus.COMPENSATED):
        return view.error
    failed = [s for s in view.steps.values() if s.status is StepStatus.FAILED and s.error]
    if not failed:
        return view.error
    return max(failed, key=lambda s: s.changed_at).error


def _with_start_detail(view: RunView, detail: Mapping[str, Any]) -> RunView:
    """The run-start event's detail carries params and trigger (see EmitRunEvent)."""
    if "params" not in detail and "trigger" not in detail:
        return view
    return replace(
        view,
        params=_as_dict(detail.get("params", view.params)),
        trigger=_as_dict(detail.get("trigger", view.trigger)),
        priority=_int(detail.get("priority"), view.priority),
        admission=_admission(detail) or view.admission,
    )


def _admission(detail: Mapping[str, Any]) -> tuple[str, ...]:
    why = []
    if detail.get("pipeline_paused"):
        why.append("pipeline paused")
    if isinstance(cap := detail.get("max_active_runs"), int):
        why.append(f"max_active_runs {cap}")
    if isinstance(rate := detail.get("rate_limit"), dict):
        per_second = rate.get("runs_per_second")
        shown = f"{per_second:g}" if isinstance(per_second, int | float) else "?"
        why.append(f"rate_limit {shown}/s")
    return tuple(why)


def _with_step(view: RunView, name: str, event: RunStatusChanged) -> RunView:
    step = view.steps.get(name)
    status = event.step_status or StepStatus.UNKNOWN
    key = (event.attempt or 0, step_rank(status), event.changed_at)
    if step is not None and (key < step.order_key or _stamped_before(step.reset_at, event)):
        return view
    updated = _step_after(step or StepView(status), status, event)
    return replace(view, steps={**view.steps, name: updated})


def _step_after(step: StepView, status: StepStatus, event: RunStatusChanged) -> StepView:
    detail = _detail(event)
    at = event.changed_at
    attempts = _attempts_after(step.attempts, status, event, detail)
    finished = status in FINISHED_STEP_STATUSES
    return replace(
        step,
        status=status,
        attempt=max(step.attempt, event.attempt or 0),
        attempts=attempts,
        started_at=attempts[0].started_at if attempts else step.started_at,
        finished_at=at if finished else None,
        output=_loads(event.output_json) if event.output_json is not None else step.output,
        error=_step_error(step, status, event),
        reason=_step_reason(detail) or step.reason,
        deadline_at=_millis(detail.get("deadline_ms")) if status is StepStatus.RUNNING else None,
        retry_at=_millis(detail.get("retry_at_ms")) if status is StepStatus.RETRY_WAIT else None,
        changed_at=at,
        child_run_id=_text(detail.get("child_run_id")) or step.child_run_id,
        map=_map_progress(step.map, detail),
    )


def _map_progress(before: Mapping[str, Any] | None, detail: Mapping[str, Any]) -> Any:
    """A map step's progress: each event's ``map`` detail over the one before."""
    progress = detail.get("map")
    if not isinstance(progress, dict):
        return before
    return {**(before or {}), **progress}


def _step_error(step: StepView, status: StepStatus, event: RunStatusChanged) -> StepError | None:
    if event.error is not None:
        return event.error
    return None if status is StepStatus.SUCCEEDED else step.error


def _step_reason(detail: Mapping[str, Any]) -> str | None:
    if "reason" in detail and detail["reason"] is not None:
        return str(detail["reason"])
    if "condition" in detail:
        return f"condition not met: {detail['condition']}"
    return None


def _attempts_after(
    attempts: tuple[AttemptView, ...],
    status: StepStatus,
    event: RunStatusChanged,
    detail: Mapping[str, Any],
) -> tuple[AttemptView, ...]:
    """The attempt history with ``event``'s attempt updated (attempt 0: never requested)."""
    number = event.attempt or 0
    if number < 1:
        return attempts
    by_number = {a.number: a for a in attempts}
    current = by_number.get(number, AttemptView(number, status))
    by_number[number] = _attempt_after(current, status, event, detail)
    return tuple(by_number[n] for n in sorted(by_number))


def _attempt_after(
    attempt: AttemptView, status: StepStatus, event: RunStatusChanged, detail: Mapping[str, Any]
) -> AttemptView:
    at = event.changed_at
    running = step_rank(status) <= 1
    return replace(
        attempt,
        status=status,
        started_at=attempt.started_at or (at if running else None),
        finished_at=None if running else (attempt.finished_at or at),
        error=event.error or attempt.error,
        retry_at=_millis(detail.get("retry_at_ms")) or attempt.retry_at,
    )


def _detail(event: RunStatusChanged) -> Mapping[str, Any]:
    detail = _loads(event.detail_json) if event.detail_json else None
    return detail if isinstance(detail, dict) else {}


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return read_json(text)
    except ValueError:
        return text  # shown as the raw text rather than dropped


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _as_dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _version(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None


def _millis(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return None


def with_pending_steps(view: RunView, declared: Iterable[str]) -> RunView:
    """``view`` listing every declared step: those with no event yet as PENDING, in order.

    The events only name steps that something happened to; the pipeline's
    definition says which are still to come.
    """
    names = list(declared)
    steps = {name: view.steps.get(name) or StepView(StepStatus.PENDING) for name in names}
    steps |= {name: step for name, step in view.steps.items() if name not in steps}
    return replace(view, steps=steps)
