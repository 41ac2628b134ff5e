"""Pipeline definitions: models, loading, validation, params and ``when`` conditions."""

from podium.pipelines._canonical import canonical_json, content_hash
from podium.pipelines._errors import (
    ExpressionError,
    LimitError,
    ParamError,
    PipelineValidationError,
    Problem,
)
from podium.pipelines._expr import Condition, evaluate_condition
from podium.pipelines._limits import UNLIMITED, check_message_size, check_params_size
from podium.pipelines._load import (
    check_file,
    duplicate_keys,
    load_pipeline_file,
    load_pipeline_sources,
    load_pipelines,
    parse_pipeline,
    pipeline_files,
)
from podium.pipelines._model import (
    PRIORITY_RANGE,
    WAITER_SERVICE,
    ChildPipeline,
    Compensation,
    CronTrigger,
    EventFormat,
    EventTrigger,
    EventWait,
    OnFailure,
    ParamSpec,
    ParamType,
    Pipeline,
    RateLimit,
    RetryPolicy,
    Step,
    StepKind,
    Trigger,
    TriggerRule,
)
from podium.pipelines._params import parse_cli_params, resolve_params
from podium.pipelines._references import field_value, reference_value
from podium.pipelines._validate import validate_pipeline

__all__ = [
    "PRIORITY_RANGE",
    "UNLIMITED",
    "WAITER_SERVICE",
    "ChildPipeline",
    "Compensation",
    "Condition",
    "CronTrigger",
    "EventFormat",
    "EventTrigger",
    "EventWait",
    "ExpressionError",
    "LimitError",
    "OnFailure",
    "ParamError",
    "ParamSpec",
    "ParamType",
    "Pipeline",
    "PipelineValidationError",
    "Problem",
    "RateLimit",
    "RetryPolicy",
    "Step",
    "StepKind",
    "Trigger",
    "TriggerRule",
    "canonical_json",
    "check_file",
    "check_message_size",
    "check_params_size",
    "content_hash",
    "duplicate_keys",
    "evaluate_condition",
    "field_value",
    "load_pipeline_file",
    "load_pipeline_sources",
    "load_pipelines",
    "parse_cli_params",
    "parse_pipeline",
    "pipeline_files",
    "reference_value",
    "resolve_params",
    "validate_pipeline",
]
