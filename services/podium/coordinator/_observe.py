"""What the decisions of a batch mean for the metrics: a pure tally.

The handler adds each decision it applies to the batch's ``Tally`` (counts and a few
numbers; the decision itself is not kept, so nothing outlives its event for the garbage
collector to carry); when the engine reports the batch done, the metrics shell takes the
tally and updates Prometheus (``_metrics``). Everything a metric needs is in the decision:
its run events (transitions, with their times and errors) and its new state (when the run
and the step started).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from podium.contract import StepStatus
from podium.coordinator._spans import SpanNote
from podium.coordinator.core._commands import EmitRunEvent, RequestStep
from podium.coordinator.core._failure import TIMEOUT_ERROR
from podium.coordinator.core._machine import Decision
from podium.coordinator.core._state import RunState


@dataclass(frozen=True, slots=True)
class RunNote:
    """A run's start or end, for the coordinator's one log line about it."""

    run_id: str
    pipeline: str
    version: int
    status: str
    """``queued`` or ``running`` at the start; the terminal status at the end."""
    trace: Mapping[str, str]
    seconds: float | None = None
    """How long the run took (at the end)."""
    reason: str | None = None
    """Why it ended badly."""


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
    controls: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(pipeline, action) -> re-runs, pauses and resumes applied"""
    transitions_from_ms: list[int] = field(default_factory=list)
    """When each result that led to a next step request was appended"""
    notes: list[RunNote] = field(default_factory=list)
    """Runs that started or ended, in order"""
    spans: list[SpanNote] = field(default_factory=list)
    """The spans the batch ended (filled only with tracing on, see ``Handler.tracing``)"""

    def add(self, decision: Decision, new_run: bool, result_ms: int | None) -> None:
        """Count one applied decision. ``new_run``: it created the run's state;
        ``result_ms``: when the step result it applied was appended (None for other
        events: only a result starts a transition)."""
        state = decision.state
        if state is None:
            return
        if new_run:
            self.runs_started[state.pipeline] += 1
            self.notes.append(_note(state, state.status.value.lower()))
        requested = False
        for command in decision.commands:
            if isinstance(command, EmitRunEvent):
                _transition(self, state, command)
            elif isinstance(command, RequestStep):
                requested = True
        if requested and result_ms is not None:
            self.transitions_from_ms.append(result_ms)


_OUTCOMES = {
    StepStatus.SUCCEEDED: "succeeded",
    StepStatus.FAILED: "failed",
    StepStatus.RETRY_WAIT: "retried",
}


def tally(observed: Iterable[tuple[Decision, bool, int | None]]) -> Tally:
    """Fold ``(decision, new_run, result_ms)`` triples, as the handler adds them."""
    out = Tally()
    for decision, new_run, result_ms in observed:
        out.add(decision, new_run, result_ms)
    return out


def _transition(out: Tally, state: RunState, event: EmitRunEvent) -> None:
    if event.step is None:
        if event.run_status.is_terminal:
            status = event.run_status.value.lower()
            seconds = (event.at_ms - state.created_at_ms) / 1000
            out.runs_finished[state.pipeline, status] += 1
            out.run_seconds.append((state.pipeline, seconds))
            out.notes.append(_note(state, status, seconds, state.reason))
        else:
            for key, action in _CONTROLS:  # run-level events are few: a start, an admission
                if key in event.detail:
                    out.controls[state.pipeline, action] += 1
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


_CONTROLS = (("rerun", "rerun"), ("paused", "pause"), ("resumed", "resume"))
"""The run event detail key of each run control, and its metric label."""


def _note(
    state: RunState, status: str, seconds: float | None = None, reason: str | None = None
) -> RunNote:
    return RunNote(
        state.run_id, state.pipeline, state.version, status, state.trace, seconds, reason
    )


def _error_type(event: EmitRunEvent) -> str | None:
    error = event.detail.get("error")
    return error.get("error_type") if isinstance(error, dict) else None
