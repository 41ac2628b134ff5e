"""Helpers for the coordinator state-machine tests (no tests here).

``Driver`` plays the adapter's role without Kafka: it feeds events to ``decide`` with an
explicit clock, keeps the state and every decision, and checks the rules every decision must
keep (exactly one WakeAt, last, agreeing with the state).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from podium.coordinator import RunState
from podium.coordinator.core import (
    Admitted,
    CancelRun,
    Decision,
    EmitRunEvent,
    Event,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    StartRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
    WakeAt,
    decide,
    next_wake_ms,
)
from podium.pipelines import Pipeline

TRACE = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}


def make_pipeline(
    *steps: Mapping[str, Any],
    name: str = "demo",
    version: int = 1,
    max_active_runs: int | None = None,
) -> Pipeline:
    definition = {"name": name, "version": version, "steps": list(steps)}
    return Pipeline.model_validate({**definition, "max_active_runs": max_active_runs})


def step(name: str, *after: str, **fields: Any) -> dict[str, Any]:
    """A step dict; retries default to none so each test opts in to what it exercises."""
    fields.setdefault("retry", {"max_attempts": 1})
    return {"name": name, "service": f"svc-{name}", "after": list(after), **fields}


class Driver:
    def __init__(self, pipeline: Pipeline, run_id: str = "run-1", now_ms: int = 1_000) -> None:
        self.pipeline = pipeline
        self.run_id = run_id
        self.now_ms = now_ms
        self.state: RunState | None = None
        self.decisions: list[Decision] = []

    @property
    def run(self) -> RunState:
        assert self.state is not None
        return self.state

    @property
    def last(self) -> Decision:
        return self.decisions[-1]

    def send(self, event: Event, at_ms: int | None = None) -> Decision:
        if at_ms is not None:
            self.now_ms = at_ms
        decision = decide(self.state, event, self.pipeline, self.now_ms)
        check_decision(decision, event.run_id)
        self.state = decision.state
        self.decisions.append(decision)
        return decision

    def start_event(self, params: Mapping[str, Any] | None = None, **kw: Any) -> StartRun:
        pipeline = self.pipeline
        return StartRun(
            self.run_id, pipeline.name, pipeline.version, params or {}, trace=TRACE, **kw
        )

    def start(self, params: Mapping[str, Any] | None = None, **kw: Any) -> Decision:
        return self.send(self.start_event(params, **kw))

    def attempt(self, name: str) -> int:
        return self.run.steps[name].attempt

    def succeed(self, name: str, output: Any = None, attempt: int | None = None) -> Decision:
        attempt = self.attempt(name) if attempt is None else attempt
        return self.send(StepSucceeded(self.run_id, name, attempt, output))

    def fail(self, name: str, *, retryable: bool = True, attempt: int | None = None) -> Decision:
        attempt = self.attempt(name) if attempt is None else attempt
        event = StepFailedEvent(self.run_id, name, attempt, "IOError", "disk full", retryable)
        return self.send(event)

    def heartbeat(self, name: str, at_ms: int) -> Decision:
        return self.send(StepHeartbeatEvent(self.run_id, name, self.attempt(name)), at_ms)

    def tick(self, at_ms: int) -> Decision:
        return self.send(TimerFired(self.run_id), at_ms)

    def cancel(self, reason: str = "user asked") -> Decision:
        return self.send(CancelRun(self.run_id, reason))

    def admit(self, at_ms: int | None = None) -> Decision:
        return self.send(Admitted(self.run_id), at_ms)


def requests(decision: Decision) -> list[RequestStep]:
    return [c for c in decision.commands if isinstance(c, RequestStep)]


def requested(decision: Decision) -> list[str]:
    return [c.step for c in requests(decision)]


def cancels(decision: Decision) -> list[NotifyCancel]:
    return [c for c in decision.commands if isinstance(c, NotifyCancel)]


def admission_requests(decision: Decision) -> list[RequestAdmission]:
    return [c for c in decision.commands if isinstance(c, RequestAdmission)]


def releases(decision: Decision) -> list[ReleaseAdmission]:
    return [c for c in decision.commands if isinstance(c, ReleaseAdmission)]


def run_events(decision: Decision) -> list[EmitRunEvent]:
    return [c for c in decision.commands if isinstance(c, EmitRunEvent)]


def transitions(decision: Decision) -> list[tuple[str | None, str]]:
    """(step or None for the run, new status) for each emitted event."""
    return [
        (e.step, str(e.step_status if e.step is not None else e.run_status))
        for e in run_events(decision)
    ]


def check_decision(decision: Decision, run_id: str) -> None:
    """Every decision ends with exactly one WakeAt, which matches the new state."""
    wakes = [c for c in decision.commands if isinstance(c, WakeAt)]
    assert wakes == [decision.commands[-1]]
    expected = next_wake_ms(decision.state) if decision.state is not None else None
    assert wakes[0] == WakeAt(run_id, expected)
    if decision.ignored is not None:
        assert decision.commands == (wakes[0],)
