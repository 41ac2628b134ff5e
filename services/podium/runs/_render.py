"""Run views as JSON (the API's and ``--json``'s shape) and as text for the CLI. Pure."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from podium.contract import RunStatus, RunStatusChanged, StepError
from podium.runs._view import AttemptView, RunView, StepView

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def view_json(view: RunView) -> dict[str, Any]:
    """A run as JSON: the body of ``GET /v1/runs/{id}`` and of ``podium runs show --json``:
    its summary, its params, its error and its steps."""
    return {
        **summary_json(view),
        "params": view.params,
        "priority": view.priority,
        "queued_for": list(view.admission) if view.status is RunStatus.QUEUED else [],
        "error": error_json(view.error),
        "trace_id": view.trace_id,
        "reruns": list(view.reruns),
        "paused": view.paused,
        "parent": parent_json(view),
        "children": {n: s.child_run_id for n, s in view.steps.items() if s.child_run_id},
        "steps": {name: step_json(step) for name, step in view.steps.items()},
    }


def parent_json(view: RunView) -> dict[str, Any] | None:
    """The parent step attempt of a child run (``kind: pipeline``), or None."""
    parent = view.parent
    if parent is None:
        return None
    return {"run_id": parent.run_id, "step": parent.step, "attempt": parent.attempt}


def summary_json(view: RunView) -> dict[str, Any]:
    """A run in a listing: no params, no steps (built without them: a page has many)."""
    return {
        "run_id": view.run_id,
        "pipeline": view.pipeline,
        "version": view.version,
        "status": view.status.value,
        "trigger": view.trigger,
        "created_at": _time(view.created_at),
        "updated_at": _time(view.updated_at),
        "finished_at": _time(view.finished_at),
        "duration_s": _seconds(view.created_at, view.finished_at),
        "reason": view.reason,
    }


def step_json(step: StepView) -> dict[str, Any]:
    return {
        "status": step.status.value,
        "attempt": step.attempt,
        "attempts": [attempt_json(a) for a in step.attempts],
        "started_at": _time(step.started_at),
        "finished_at": _time(step.finished_at),
        "duration_s": _seconds(step.started_at, step.finished_at),
        "deadline_at": _time(step.deadline_at),
        "retry_at": _time(step.retry_at),
        "output": step.output,
        "error": error_json(step.error),
        "reason": step.reason,
        "child_run_id": step.child_run_id,
        "map": dict(step.map) if step.map is not None else None,
    }


def attempt_json(attempt: AttemptView) -> dict[str, Any]:
    return {
        "attempt": attempt.number,
        "status": attempt.status.value,
        "started_at": _time(attempt.started_at),
        "finished_at": _time(attempt.finished_at),
        "error": error_json(attempt.error),
        "retry_at": _time(attempt.retry_at),
    }


def error_json(error: StepError | None) -> dict[str, Any] | None:
    if error is None:
        return None
    return {"type": error.error_type, "message": error.error_message, "retryable": error.retryable}


def run_table(views: Sequence[RunView]) -> list[str]:
    """``podium runs list``: one line per run."""
    rows = [("RUN ID", "PIPELINE", "STATUS", "CREATED", "DURATION")]
    for v in views:
        name = v.pipeline + (f"@{v.version}" if v.version is not None else "")
        duration = _duration_text(v.created_at, v.finished_at)
        rows.append((v.run_id, name, v.status.value, _short(v.created_at), duration))
    return _columns(rows)


def run_details(view: RunView) -> list[str]:
    """``podium runs show``: the run, its params, then a table of its steps."""
    lines = [
        f"run       {view.run_id}",
        f"pipeline  {view.pipeline}@{view.version}",
        f"status    {view.status.value}" + (f" ({view.reason})" if view.reason else ""),
        f"params    {json.dumps(view.params, sort_keys=True)}",
        f"created   {_short(view.created_at)}   finished {_short(view.finished_at) or '-'}",
    ]
    if view.error is not None:
        lines.append(f"error     {view.error.error_type}: {view.error.error_message}")
    if (parent := view.parent) is not None:
        lines.append(f"parent    {parent.run_id} step {parent.step} (attempt {parent.attempt})")
    if view.priority:
        lines.append(f"priority  {view.priority}")
    if view.status is RunStatus.QUEUED and view.admission:
        lines.append(f"queued    for {', '.join(view.admission)}")
    lines += control_lines(view)
    steps = view.steps
    return [
        *lines,
        "",
        *step_table(steps),
        *decision_lines(steps),
        *children_of(view),
        *maps_of(view),
    ]


def maps_of(view: RunView) -> list[str]:
    """Each map step's progress: items done of the total, and which failed."""
    lines = [f"map       {name}: {map_text(s.map)}" for name, s in view.steps.items() if s.map]
    return ["", *lines] if lines else []


def map_text(progress: Mapping[str, Any]) -> str:
    """``7/10 items done, 6 succeeded, 1 failed (3)``."""
    succeeded, failed = progress.get("succeeded", 0), progress.get("failed_count", 0)
    done = f"{succeeded + failed}/{progress.get('items', '?')} items done"
    text = f"{done}, {succeeded} succeeded, {failed} failed"
    indices = progress.get("failed") or []
    if indices:
        shown = ", ".join(str(i) for i in indices[:20])
        rest = failed - min(len(indices), 20)
        more = f" and {rest} more" if rest > 0 else ""
        text += f" (items {shown}{more})"
    return text


def children_of(view: RunView) -> list[str]:
    """The child run of each ``kind: pipeline`` step (``podium runs show CHILD`` for it)."""
    lines = [f"child     {n}: {s.child_run_id}" for n, s in view.steps.items() if s.child_run_id]
    return ["", *lines] if lines else []


def control_lines(view: RunView) -> list[str]:
    """Where the run came from (``--same-as``), each re-run, and who paused it."""
    lines = []
    if view.trigger.get("name") == "same-as" and view.trigger.get("reference"):
        lines.append(f"same as   {view.trigger['reference']} (podium run --same-as)")
    for rerun in view.reruns:
        where = f"from step {rerun['from_step']}" if rerun.get("from_step") else "failed steps"
        why = f": {rerun['reason']}" if rerun.get("reason") else ""
        steps = ", ".join(str(name) for name in rerun.get("steps", ()))
        moved = f", moved from v{rerun['from_version']}" if rerun.get("from_version") else ""
        lines.append(
            f"re-run    #{rerun.get('number')} by {rerun.get('by') or '?'} at {rerun.get('at')}"
            f" ({where}; reset {steps}; was {rerun.get('was')}{moved}){why}"
        )
    if view.paused is not None:
        why = f": {view.paused['reason']}" if view.paused.get("reason") else ""
        lines.append(f"paused    by {view.paused.get('by') or '?'} at {view.paused['at']}{why}")
    return lines


def decision_lines(steps: Mapping[str, StepView]) -> list[str]:
    """Who approved each approval step, and why (its output; a rejection is its error,
    ``Rejected: rejected by <who>: <why>``, in the table)."""
    lines = []
    for name, step in steps.items():
        decision = _decision(step)
        if decision is not None:
            why = f": {decision['comment']}" if decision.get("comment") else ""
            at = f" at {decision['at']}" if decision.get("at") else ""
            lines.append(f"decided   {name}: {decision['decision']} by {decision['by']}{at}{why}")
    return ["", *lines] if lines else []


def _decision(step: StepView) -> dict[str, Any] | None:
    found = step.output
    return found if isinstance(found, dict) and {"decision", "by"} <= found.keys() else None


def step_table(steps: Mapping[str, StepView]) -> list[str]:
    rows = [("STEP", "STATUS", "ATTEMPTS", "DURATION", "ERROR")]
    for name, step in steps.items():
        error = step.error
        text = f"{error.error_type}: {error.error_message}" if error else (step.reason or "")
        duration = _duration_text(step.started_at, step.finished_at)
        rows.append((name, step.status.value, str(len(step.attempts)), duration, text))
    return _columns(rows)


def transition_line(event: RunStatusChanged) -> str:
    """One transition as ``podium run --wait`` prints it."""
    if event.step is None:
        reason = f": {event.reason}" if event.reason else ""
        return f"run {event.status.value}{reason}"
    status = event.step_status.value if event.step_status else "UNKNOWN"
    attempt = f" (attempt {event.attempt})" if event.attempt else ""
    error = f": {event.error.error_type}: {event.error.error_message}" if event.error else ""
    return f"  {event.step} {status}{attempt}{error}"


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    joined = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return [line.rstrip() for line in joined]


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds")


def _short(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _duration_text(start: datetime | None, end: datetime | None) -> str:
    seconds = _seconds(start, end)
    return "-" if seconds is None else f"{seconds:.1f}s"
