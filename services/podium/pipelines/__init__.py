"""Pipeline definitions: models, loading, validation, params and ``when`` conditions."""

from podium.pipelines._canonical import canonical_json, content_hash
from podium.pipelines._durations import Duration, parse_duration
from podium.pipelines._errors import ExpressionError, ParamError, PipelineValidationError, Problem
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
from podium.pipelines._load import (
    check_file,
    duplicate_keys,
    load_pipeline_file,
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
    "Compensation",
    "Condition",
    "CronTrigger",
    "Duration",
    "EventTrigger",
    "ExpressionError",
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
    "check_pipeline",
    "content_hash",
    "dependants",
    "dependencies",
    "duplicate_keys",
    "evaluate_condition",
    "find_cycles",
    "load_pipeline_file",
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
