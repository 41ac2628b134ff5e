"""The pipeline registry: published definitions on the compacted ``podium.pipelines`` topic.

    results = await apply_pipelines(settings.client_kwargs(), pipelines)   # publish
    async with PipelineRegistry(settings.client_kwargs()) as registry:      # read, follow
        pipeline = registry.get("file-ingest")          # latest; registry.get(name, 1) pinned

A ``name@version`` is immutable once published (``publish_decision``); an
apply is all or nothing. The record format is in :mod:`podium.registry._record`.
"""

from podium.registry._apply import apply_pipelines, load_pipeline_files
from podium.registry._control import check_pipeline_control, control_pipeline
from podium.registry._decide import ApplyResult, ApplyStatus
from podium.registry._errors import (
    PipelineStateError,
    RegistryTopicMissingError,
    RegistryUnavailableError,
    UnknownPipelineError,
)
from podium.registry._pause import PipelinePause, pause_at_ms
from podium.registry._reader import PipelineRegistry, read_registry
from podium.registry._record import DEFAULT_TOPIC, RecordError, RegisteredPipeline
from podium.registry._render import (
    apply_lines,
    apply_summary,
    pipeline_summaries,
    summary_table,
)
from podium.registry._request_topics import ensure_request_topics

__all__ = [
    "DEFAULT_TOPIC",
    "ApplyResult",
    "ApplyStatus",
    "PipelinePause",
    "PipelineRegistry",
    "PipelineStateError",
    "RecordError",
    "RegisteredPipeline",
    "RegistryTopicMissingError",
    "RegistryUnavailableError",
    "UnknownPipelineError",
    "apply_lines",
    "apply_pipelines",
    "apply_summary",
    "check_pipeline_control",
    "control_pipeline",
    "ensure_request_topics",
    "load_pipeline_files",
    "pause_at_ms",
    "pipeline_summaries",
    "read_registry",
    "summary_table",
]
