"""Pipeline definitions: models, loading and validation."""

from podium.pipelines._durations import Duration, parse_duration
from podium.pipelines._model import (
    Compensation,
    CronTrigger,
    EventTrigger,
    OnFailure,
    ParamSpec,
    ParamType,
    Pipeline,
    RetryPolicy,
    Step,
    Trigger,
)

__all__ = [
    "Compensation",
    "CronTrigger",
    "Duration",
    "EventTrigger",
    "OnFailure",
    "ParamSpec",
    "ParamType",
    "Pipeline",
    "RetryPolicy",
    "Step",
    "Trigger",
    "parse_duration",
]
