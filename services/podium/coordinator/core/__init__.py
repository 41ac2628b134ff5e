"""The coordinator's decision core: pure functions over typed models, no I/O, no clock.

Open this first. ``decide(state, event, pipeline, now_ms) -> Decision`` (``_machine``)
is the state machine: the new ``RunState`` (``_state``) and the ``Command`` s
(``_commands``) the shell executes. Its parts: starting and finishing steps and runs
(``_fanout``), failures and retries (``_failure``, ``_backoff``), compensation
(``_compensation``), re-runs (``_rerun``), pause and resume (``_pause``), child runs of
``kind: pipeline`` steps (``_children``), map steps over a list (``_map``), runs queued
for admission (``_queued``) and the admission queue itself (``_admission``, ``admit``: the
cap ``max_active_runs``, a paused pipeline, a ``rate_limit``'s token bucket); ``_inputs``
holds the events it consumes, ``_plan`` what it looks up in a pipeline, ``_tx`` one
decision's working state. Everything is property-tested with hypothesis in ``tests/unit``;
the Kafka shell around it is the rest of :mod:`podium.coordinator`.
"""

from podium.coordinator.core._admission import (
    AdmissionEvent,
    AdmissionState,
    Enqueue,
    PausePipeline,
    Release,
    ResumePipeline,
    TokenRate,
    Wake,
    admission_wake_ms,
    admit,
)
from podium.coordinator.core._backoff import compute_backoff
from podium.coordinator.core._commands import (
    CancelChildRun,
    Command,
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    SendStepResult,
    StartChildRun,
    WakeAt,
    WriteMapPage,
)
from podium.coordinator.core._failure import TIMEOUT_ERROR
from podium.coordinator.core._fanout import CONDITION_ERROR
from podium.coordinator.core._inputs import (
    Admitted,
    CancelRun,
    Event,
    PauseRun,
    ResumeRun,
    RetryRun,
    StartRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.coordinator.core._machine import Decision, decide, next_wake_ms
from podium.coordinator.core._queued import ADMISSION_RETRY_MS
from podium.coordinator.core._state import (
    Rerun,
    RunState,
    StepState,
)

__all__ = [
    "ADMISSION_RETRY_MS",
    "CONDITION_ERROR",
    "TIMEOUT_ERROR",
    "AdmissionEvent",
    "AdmissionState",
    "Admitted",
    "CancelChildRun",
    "CancelRun",
    "Command",
    "Decision",
    "EmitRunEvent",
    "Enqueue",
    "Event",
    "NotifyCancel",
    "PausePipeline",
    "PauseRun",
    "Release",
    "ReleaseAdmission",
    "RequestAdmission",
    "RequestStep",
    "Rerun",
    "ResumePipeline",
    "ResumeRun",
    "RetryRun",
    "RunState",
    "SendStepResult",
    "StartChildRun",
    "StartRun",
    "StepFailedEvent",
    "StepHeartbeatEvent",
    "StepState",
    "StepSucceeded",
    "TimerFired",
    "TokenRate",
    "Wake",
    "WakeAt",
    "WriteMapPage",
    "admission_wake_ms",
    "admit",
    "compute_backoff",
    "decide",
    "next_wake_ms",
]
