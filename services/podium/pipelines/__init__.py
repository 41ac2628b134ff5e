"""Pipeline definitions: models, loading, validation, params and ``when`` conditions."""

from podium.pipelines._canonical import canonical_json, content_hash
from podium.pipelines._durations import Duration, parse_duration
from podium.pipelines._errors import (
    ExpressionError,
    LimitError,
    ParamError,
    PipelineValidationError,
    Problem,
)
from podium.pipelines._expr import (
    MAX_CONDITION_LENGTH,
    MAX_DEPTH,
    Condition,
    StepView,
    evaluate_condition,
    parse_condition,
)
from podium.pipelines._graph import (
    ancestors,
    dependants,
    dependencies,
    find_cycles,
    roots,
    topological_order,
)
from podium.pipelines._limits import (
    UNLIMITED,
    check_message_size,
    check_params_size,
    check_size,
    json_size,
)
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
from podium.pipelines._params import parse_cli_params, resolve_params, type_matches
from podium.pipelines._validate import check_pipeline, validate_pipeline

__all__ = [
    "MAX_CONDITION_LENGTH",
    "MAX_DEPTH",
    "UNLIMITED",
    "Compensation",
    "Condition",
    "CronTrigger",
    "Duration",
    "EventTrigger",
    "ExpressionError",
    "LimitError",
    "OnFailure",
    "ParamError",
    "ParamSpec",
    "ParamType",
    "Pipeline",
    "PipelineValidationError",
    "Problem",
    "RetryPolicy",
    "Step",
    "StepView",
    "Trigger",
    "ancestors",
    "canonical_json",
    "check_file",
    "check_message_size",
    "check_params_size",
    "check_pipeline",
    "check_size",
    "content_hash",
    "dependants",
    "dependencies",
    "duplicate_keys",
    "evaluate_condition",
    "find_cycles",
    "json_size",
    "load_pipeline_file",
    "load_pipeline_sources",
    "load_pipelines",
    "parse_cli_params",
    "parse_condition",
    "parse_duration",
    "parse_pipeline",
    "pipeline_files",
    "resolve_params",
    "roots",
    "topological_order",
    "type_matches",
    "validate_pipeline",
]
