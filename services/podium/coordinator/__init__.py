"""The coordinator: runs pipelines by reacting to events.

This package's core is a pure state machine, ``decide(state, event, pipeline, now_ms)``,
returning a ``Decision`` (new ``RunState``, commands, ignore reason). Beside it,
``admit(state, event, limit)`` keeps each pipeline's ``max_active_runs`` queue (also pure).
The Kafka engine that feeds them and executes their commands lives in other modules
of this package.
"""

from podium.coordinator._admission import (
    AdmissionEvent,
    AdmissionState,
    Enqueue,
    Release,
    admit,
)
from podium.coordinator._backoff import compute_backoff
from podium.coordinator._commands import (
    Command,
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    WakeAt,
)
from podium.coordinator._fanout import CONDITION_ERROR
from podium.coordinator._inputs import (
    Admitted,
    CancelRun,
    Event,
    StartRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.coordinator._machine import TIMEOUT_ERROR, Decision, decide, next_wake_ms
from podium.coordinator._plan import COMPENSATION_PREFIX
from podium.coordinator._queued import ADMISSION_RETRY_MS
from podium.coordinator._state import (
    RunState,
    RunStatus,
    StepError,
    StepState,
    StepStatus,
)
from podium.coordinator._tx import compensated_step, compensation_name

__all__ = [
    "ADMISSION_RETRY_MS",
    "COMPENSATION_PREFIX",
    "CONDITION_ERROR",
    "TIMEOUT_ERROR",
    "AdmissionEvent",
    "AdmissionState",
    "Admitted",
    "CancelRun",
    "Command",
    "Decision",
    "EmitRunEvent",
    "Enqueue",
    "Event",
    "NotifyCancel",
    "Release",
    "ReleaseAdmission",
    "RequestAdmission",
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
    "admit",
    "compensated_step",
    "compensation_name",
    "compute_backoff",
    "decide",
    "next_wake_ms",
]
