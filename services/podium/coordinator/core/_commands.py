"""What a decision asks the adapter to do; the adapter only executes, never decides.

A decision's commands are ordered: requests and cancel notices, run events in the order the
transitions happened, and always exactly one ``WakeAt`` last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podium._speedups.frozen import fast_frozen_init
from podium.contract import ParentStep, RunStatus, StepError, StepStatus
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
    a slot the run already holds). ``priority`` orders the waiting runs, higher first."""

    run_id: str
    pipeline: str
    version: int
    requested_at_ms: int | None
    priority: int = 0


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ReleaseAdmission:
    """A run of a capped pipeline ended (exactly once per run): free its slot or queue place."""

    run_id: str
    pipeline: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class StartChildRun:
    """Publish a RunRequested for ``child_run_id`` (a ``kind: pipeline`` step's attempt):
    ``pipeline`` pinned to ``version`` (None: the latest when the child starts), ``params``
    mapped from the parent, a trigger naming ``parent`` (``podium.contract.ParentStep``)."""

    parent: ParentStep
    child_run_id: str
    pipeline: str
    version: int | None
    params: Mapping[str, JsonValue]
    trace: Mapping[str, str]


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class CancelChildRun:
    """Publish a RunCancelRequested for a child run the parent no longer needs."""

    child_run_id: str
    reason: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class SendStepResult:
    """Publish a step result for ``step``/``attempt`` of run ``run_id``, as a service would:
    a StepCompleted with ``output`` when ``error`` is None, else a StepFailed. A finished
    child run answers its parent's step so; a pipeline step whose params cannot be mapped
    answers itself so (the failure then goes through the ordinary result path)."""

    run_id: str
    step: str
    attempt: int
    output: JsonValue
    error: StepError | None


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class WriteMapPage:
    """Publish one page of a map step's collected outputs to the map pages topic (compacted),
    keyed ``key`` (``<run>/<step>/<try>/<page>``): ``outputs`` are (item index, output)
    pairs in index order (see ``_map``)."""

    run_id: str
    step: str
    key: str
    page: int
    outputs: tuple[tuple[int, JsonValue], ...]


Command = (
    RequestStep
    | NotifyCancel
    | EmitRunEvent
    | RequestAdmission
    | ReleaseAdmission
    | WakeAt
    | StartChildRun
    | CancelChildRun
    | SendStepResult
    | WriteMapPage
)
