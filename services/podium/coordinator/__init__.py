"""The coordinator: runs pipelines by reacting to events.

This package's core is a pure state machine, ``decide(state, event, pipeline, now_ms)``,
returning a ``Decision`` (new ``RunState``, commands, ignore reason). The faust app that feeds
it from Kafka and executes its commands lives in other modules of this package.
"""

from podium.coordinator._backoff import compute_backoff
from podium.coordinator._commands import (
    Command,
    EmitRunEvent,
    NotifyCancel,
    RequestStep,
    WakeAt,
)
from podium.coordinator._fanout import CONDITION_ERROR
from podium.coordinator._inputs import (
    CancelRun,
    Event,
    StartRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.coordinator._machine import TIMEOUT_ERROR, Decision, decide, next_wake_ms
from podium.coordinator._state import (
    RunState,
    RunStatus,
    StepError,
    StepState,
    StepStatus,
)
from podium.coordinator._tx import COMPENSATION_PREFIX, compensated_step, compensation_name

__all__ = [
    "COMPENSATION_PREFIX",
    "CONDITION_ERROR",
    "TIMEOUT_ERROR",
    "CancelRun",
    "Command",
    "Decision",
    "EmitRunEvent",
    "Event",
    "NotifyCancel",
    "RequestStep",
    "RunState",
    "RunStatus",
    "StartRun",
    "StepError",
    "StepFailedEvent",
    "StepHeartbeatEvent",
    "StepState",
    "StepStatus",
    "StepSucceeded",
    "TimerFired",
    "WakeAt",
    "compensated_step",
    "compensation_name",
    "compute_backoff",
    "decide",
    "next_wake_ms",
]
