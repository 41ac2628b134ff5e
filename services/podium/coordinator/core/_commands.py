"""What a decision asks the adapter to do; the adapter only executes, never decides.

A decision's commands are ordered: requests and cancel notices, run events in the order the
transitions happened, and always exactly one ``WakeAt`` last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podium._speedups.frozen import fast_frozen_init
from podium.contract import RunStatus, StepStatus
from podium.coordinator.core._state import JsonValue


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class RequestStep:
    """Publish a StepRequested to ``topic``.

    ``input`` is ``{"input": <step's static input>, "upstream": {<dep>: <dep's output>}}``
    for a pipeline step (a skipped or failed-and-continued dependency's output is ``None``).
    For a ``compensate:<step>`` request it is ``{"input": <the compensation's static input>,
    "compensates": <step>, "step_input": <that step's static input>, "output": <that step's
    output>}``. ``params`` and ``trace`` are the run's, unchanged.
    """

    run_id: str
    step: str
    attempt: int
    topic: str
    deadline_ms: int
    input: Mapping[str, JsonValue]
    params: Mapping[str, JsonValue]
    trace: Mapping[str, str]


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class NotifyCancel:
    """Tell the service running ``step``/``attempt`` to stop: the run no longer needs it."""

    run_id: str
    step: str
    attempt: int
    topic: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class EmitRunEvent:
    """One transition, for ``podium.run.events``.

    ``run_status`` is the run's status when the transition happened (a step cancelled as the
    run fails still shows ``running``; the run's own event follows it).
    Run-level events have ``step``, ``step_status`` and ``attempt`` set to None. ``detail``
    carries what a read model needs: the run's pipeline, version, params and trigger when it
    starts; ``output`` when a step succeeds; ``error`` (and ``retry_at_ms``) when it fails;
    ``deadline_ms`` and ``topic`` when it is requested; ``reason`` when a run ends badly.
    """

    run_id: str
    run_status: RunStatus
    step: str | None
    step_status: StepStatus | None
    attempt: int | None
    detail: Mapping[str, JsonValue]
    at_ms: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class WakeAt:
    """The next time this run needs a TimerFired (None: no timer needed, e.g. finished)."""

    run_id: str
    at_ms: int | None


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class RequestAdmission:
    """Ask for a slot under the pipeline's ``max_active_runs``; answered by ``Admitted``.

    Emitted when a run of a capped pipeline starts (it is then ``queued``), and again while it
    stays queued with no answer (the admission side treats a repeat as a no-op, or re-announces
    a slot the run already holds)."""

    run_id: str
    pipeline: str
    version: int
    requested_at_ms: int | None


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ReleaseAdmission:
    """A run of a capped pipeline ended (exactly once per run): free its slot or queue place."""

    run_id: str
    pipeline: str


Command = RequestStep | NotifyCancel | EmitRunEvent | RequestAdmission | ReleaseAdmission | WakeAt
