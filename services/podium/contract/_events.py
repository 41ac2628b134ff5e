"""Typed models of Podium's Avro contract (``schemas/``, namespace ``podium.v1``).

One model per schema, field for field; ``tests/unit/test_events.py`` pins each
model to its ``.avsc`` so they cannot drift. Enum schemas are ``StrEnum``s whose
first member, ``UNKNOWN``, is also the Avro enum default: a reader meeting a
symbol added later reads ``UNKNOWN`` instead of failing.

JSON-compatible payloads (params, step input and output) travel as JSON text
(``params_json``...), so services need no schema of ours for them; the
``*_value`` helpers parse them. Timestamps are timezone-aware datetimes
(``timestamp-millis`` in Avro: sub-millisecond precision is dropped on the wire).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict

from podium._json_limits import read_json
from podium.contract._status import RunStatus, StepStatus

NAMESPACE = "podium.v1"


class TriggerSource(StrEnum):
    """What started a run (``podium.v1.TriggerSource``)."""

    UNKNOWN = "UNKNOWN"
    API = "API"
    EVENT = "EVENT"
    CRON = "CRON"
    CLI = "CLI"
    REPLAY = "REPLAY"


class PodiumModel(BaseModel):
    """Base of every record model: immutable, strict about unknown fields, named in Avro."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    avro_name: ClassVar[str]
    """Full Avro name of the schema this model mirrors, e.g. ``podium.v1.StepCompleted``."""


def _json(text: str | None) -> Any:
    return None if text is None else read_json(text)


class Trigger(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.Trigger"

    source: TriggerSource
    name: str | None = None
    reference: str | None = None


class StepError(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepError"

    error_type: str
    error_message: str
    retryable: bool


class RunRequested(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.RunRequested"

    run_id: str
    pipeline: str
    pipeline_version: str | None = None
    params_json: str = "{}"
    trigger: Trigger
    idempotency_key: str | None = None
    requested_at: AwareDatetime
    priority: int = 0

    def params(self) -> Any:
        return _json(self.params_json)


class RunCancelRequested(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.RunCancelRequested"

    run_id: str
    reason: str | None = None
    requested_by: str | None = None
    requested_at: AwareDatetime


class RunControlAction(StrEnum):
    """What a ``RunControlRequested`` asks (``podium.v1.RunControlAction``)."""

    UNKNOWN = "UNKNOWN"
    RETRY = "RETRY"
    PAUSE = "PAUSE"
    RESUME = "RESUME"


class RunControlRequested(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.RunControlRequested"

    run_id: str
    action: RunControlAction
    from_step: str | None = None
    pipeline_version: str | None = None
    reason: str | None = None
    requested_by: str | None = None
    requested_at: AwareDatetime


class PipelineControlRequested(PodiumModel):
    """Pause or resume a whole pipeline (on the admissions topic, keyed by its name)."""

    avro_name: ClassVar[str] = f"{NAMESPACE}.PipelineControlRequested"

    pipeline: str
    action: RunControlAction
    reason: str | None = None
    requested_by: str | None = None
    requested_at: AwareDatetime


class Signal(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.Signal"

    run_id: str
    name: str
    payload_json: str = "{}"
    sent_by: str = ""
    sent_at: AwareDatetime

    @property
    def payload(self) -> Any:
        return _json(self.payload_json)


class StepRequested(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepRequested"

    run_id: str
    step: str
    attempt: int
    pipeline: str
    pipeline_version: str
    input_json: str = "{}"
    params_json: str = "{}"
    compensate: bool = False
    deadline: AwareDatetime
    requested_at: AwareDatetime

    def input(self) -> Any:
        return _json(self.input_json)

    def params(self) -> Any:
        return _json(self.params_json)


class StepCompleted(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepCompleted"

    run_id: str
    step: str
    attempt: int
    output_json: str = "null"
    completed_at: AwareDatetime
    started_at: AwareDatetime | None = None
    worker: str | None = None

    def output(self) -> Any:
        return _json(self.output_json)


class StepFailed(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepFailed"

    run_id: str
    step: str
    attempt: int
    error_type: str
    error_message: str
    retryable: bool = True
    retry_after_ms: int | None = None
    details_json: str | None = None
    failed_at: AwareDatetime
    worker: str | None = None


class StepHeartbeat(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepHeartbeat"

    run_id: str
    step: str
    attempt: int
    progress_json: str | None = None
    extend_ms: int | None = None
    sent_at: AwareDatetime
    worker: str | None = None


class StepCancelRequested(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.StepCancelRequested"

    run_id: str
    step: str
    attempt: int
    reason: str | None = None
    requested_at: AwareDatetime


class RunStatusChanged(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.RunStatusChanged"

    run_id: str
    pipeline: str
    pipeline_version: str
    status: RunStatus
    previous_status: RunStatus | None = None
    reason: str | None = None
    step: str | None = None
    step_status: StepStatus | None = None
    attempt: int | None = None
    error: StepError | None = None
    output_json: str | None = None
    detail_json: str | None = None
    changed_at: AwareDatetime


class FileLanded(PodiumModel):
    avro_name: ClassVar[str] = f"{NAMESPACE}.FileLanded"

    uri: str
    size_bytes: int
    checksum: str | None = None
    content_type: str | None = None
    source: str | None = None
    run_id: str | None = None
    landed_at: AwareDatetime


RECORD_MODELS: dict[str, type[PodiumModel]] = {
    model.avro_name: model
    for model in (
        Trigger,
        StepError,
        RunRequested,
        RunCancelRequested,
        RunControlRequested,
        StepRequested,
        StepCompleted,
        StepFailed,
        StepHeartbeat,
        StepCancelRequested,
        RunStatusChanged,
        FileLanded,
        Signal,
        PipelineControlRequested,
    )
}
"""Every record model by full Avro name."""

ENUMS: dict[str, type[StrEnum]] = {
    f"{NAMESPACE}.RunStatus": RunStatus,
    f"{NAMESPACE}.StepStatus": StepStatus,
    f"{NAMESPACE}.TriggerSource": TriggerSource,
    f"{NAMESPACE}.RunControlAction": RunControlAction,
}
"""Every enum schema by full Avro name."""

EVENT_TYPES: tuple[type[PodiumModel], ...] = (
    RunRequested,
    RunCancelRequested,
    RunControlRequested,
    StepRequested,
    StepCompleted,
    StepFailed,
    StepHeartbeat,
    StepCancelRequested,
    RunStatusChanged,
    FileLanded,
    Signal,
    PipelineControlRequested,
)
"""The events that travel on topics. The coordinator's changelogs are its own JSON (see
``topics/README.md``), not part of the contract."""
