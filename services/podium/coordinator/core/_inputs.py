"""The domain events the state machine consumes, already decoded by the adapter.

Each names its run; the adapter passes the current time separately (``decide(..., now_ms)``),
so replaying an event with the same time gives the same decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from podium._speedups.frozen import fast_frozen_init
from podium.coordinator.core._state import JsonValue


@dataclass(frozen=True, slots=True)
class StartRun:
    """Start a run of a pinned pipeline version; a second start for the same id is ignored.

    ``trace`` holds the trigger's W3C headers (``traceparent``, ``tracestate``, ``baggage``),
    carried onto every step request of the run. ``priority`` orders the run among those
    waiting for admission (``max_active_runs``): higher first; it changes nothing else.
    ``pipeline_paused``: the adapter knows the pipeline is paused, so the run asks for
    admission (and waits ``queued``) even when its pipeline has no cap and no rate.
    """

    run_id: str
    pipeline: str
    version: int
    params: Mapping[str, JsonValue] = field(default_factory=dict)
    trigger: Mapping[str, JsonValue] = field(default_factory=dict)
    requested_at_ms: int | None = None
    trace: Mapping[str, str] = field(default_factory=dict)
    priority: int = 0
    pipeline_paused: bool = False


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class CancelRun:
    run_id: str
    reason: str = ""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class StepSucceeded:
    """A step (or ``compensate:<step>``) attempt returned ``output``."""

    run_id: str
    step: str
    attempt: int
    output: JsonValue = None


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class StepFailedEvent:
    """A step attempt raised; ``retryable=False`` fails the step at once."""

    run_id: str
    step: str
    attempt: int
    error_type: str
    error_message: str
    retryable: bool = True
    retry_after_ms: int | None = None
    """The service's own wait before the next attempt, overriding the backoff policy."""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class StepHeartbeatEvent:
    """A long step is alive: its deadline moves to now + ``extend_ms`` when the service
    asked for that long, else now + its timeout."""

    run_id: str
    step: str
    attempt: int
    extend_ms: int | None = None


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class TimerFired:
    """The run's WakeAt time has come: deadlines and retry times at or before now are due."""

    run_id: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Admitted:
    """A ``queued`` run got a slot under its pipeline's ``max_active_runs``: it may start."""

    run_id: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class RetryRun:
    """Re-run a finished run (see ``_rerun``): from its failed, cancelled and undone steps,
    or from ``from_step`` and everything after it. The adapter passes the pipeline version
    the run goes on with: its pinned one, unless the request named another."""

    run_id: str
    from_step: str | None = None
    by: str = ""
    reason: str = ""
    requested_at_ms: int = 0
    """When it was asked (the request's own time): a run applies control requests in the
    order they were asked, each once (see ``RunState.controlled_at_ms``)."""
    pipeline_paused: bool = False
    """As for ``StartRun``: the re-run asks for admission and waits for the resume."""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class PauseRun:
    """Request no new step of a running run until ``ResumeRun`` (see ``_pause``)."""

    run_id: str
    by: str = ""
    reason: str = ""
    requested_at_ms: int = 0


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ResumeRun:
    run_id: str
    by: str = ""
    reason: str = ""
    requested_at_ms: int = 0


Event = (
    StartRun
    | CancelRun
    | RetryRun
    | PauseRun
    | ResumeRun
    | StepSucceeded
    | StepFailedEvent
    | StepHeartbeatEvent
    | TimerFired
    | Admitted
)
"""Everything ``decide`` accepts."""
