"""What a batch of decisions means for the metrics: a pure tally, made once per batch.

The handler keeps each decision it applies (one list append per event, nothing else on the
record path); when the engine reports a batch done, the metrics shell folds them here and
updates Prometheus once per label set (``_metrics``). Everything a metric needs is in the
decision: its run events (transitions, with their times and errors) and its new state
(when the run and the step started).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from podium.contract import StepStatus
from podium.coordinator.core._commands import EmitRunEvent, RequestStep
from podium.coordinator.core._machine import TIMEOUT_ERROR, Decision
from podium.coordinator.core._state import RunState

Observed = tuple[Decision, bool, int | None]
"""One applied decision, whether it created the run's state, and when the step result
that caused it was appended (None for other events: only a result measures a
transition). A plain tuple: the handler makes one per event."""


@dataclass
class Tally:
    """A batch's observations, grouped by their metric's labels."""

    runs_started: Counter[str] = field(default_factory=Counter)
    """pipeline -> runs"""
    runs_finished: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(pipeline, terminal status) -> runs"""
    run_seconds: list[tuple[str, float]] = field(default_factory=list)
    """(pipeline, created -> finished) per finished run"""
    step_seconds: list[tuple[str, str, float]] = field(default_factory=list)
    """(pipeline, step, first request -> finished) per step that succeeded or failed"""
    attempts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(pipeline, step, outcome) -> attempts; outcome: succeeded, failed, retried, timed_out"""
    transitions_from_ms: list[int] = field(default_factory=list)
    """When each result that led to a next step request was appended"""


_OUTCOMES = {
    StepStatus.SUCCEEDED: "succeeded",
    StepStatus.FAILED: "failed",
    StepStatus.RETRY_WAIT: "retried",
}


def tally(observed: Iterable[Observed]) -> Tally:
    """Fold a batch's decisions into the counts and durations the metrics take."""
    out = Tally()
    for decision, new_run, result_ms in observed:
        state = decision.state
        if state is None:
            continue
        if new_run:
            out.runs_started[state.pipeline] += 1
        requested = False
        for command in decision.commands:
            if isinstance(command, EmitRunEvent):
                _transition(out, state, command)
            elif isinstance(command, RequestStep):
                requested = True
        if requested and result_ms is not None:
            out.transitions_from_ms.append(result_ms)
    return out


def _transition(out: Tally, state: RunState, event: EmitRunEvent) -> None:
    if event.step is None:
        if event.run_status.is_terminal:
            status = event.run_status.value.lower()
            out.runs_finished[state.pipeline, status] += 1
            out.run_seconds.append((state.pipeline, (event.at_ms - state.created_at_ms) / 1000))
        return
    outcome = _OUTCOMES.get(event.step_status) if event.step_status is not None else None
    if outcome is None:
        return
    if outcome != "succeeded" and _error_type(event) == TIMEOUT_ERROR:
        outcome = "timed_out"
    out.attempts[state.pipeline, event.step, outcome] += 1
    step = state.steps.get(event.step)
    finished = event.step_status is not StepStatus.RETRY_WAIT
    if finished and step is not None and step.started_at_ms is not None:
        seconds = (event.at_ms - step.started_at_ms) / 1000
        out.step_seconds.append((state.pipeline, event.step, seconds))


def _error_type(event: EmitRunEvent) -> str | None:
    error = event.detail.get("error")
    return error.get("error_type") if isinstance(error, dict) else None
