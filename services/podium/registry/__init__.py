"""The pipeline registry: published definitions on the compacted ``podium.pipelines`` topic.

    results = await apply_pipelines(settings.client_kwargs(), pipelines)   # publish
    async with PipelineRegistry(settings.client_kwargs()) as registry:      # read, follow
        pipeline = registry.get("file-ingest")          # latest; registry.get(name, 1) pinned

A ``name@version`` is immutable once published (``publish_decision``); an
apply is all or nothing. The record format is in :mod:`podium.registry._record`.
"""

from podium.registry._apply import apply_pipelines, checked_batch, load_pipeline_files
from podium.registry._catalog import Catalog, CatalogStats
from podium.registry._decide import (
    ApplyResult,
    ApplyStatus,
    Decision,
    Publish,
    Refused,
    Unchanged,
    plan_apply,
    publish_decision,
    short_hash,
)
from podium.registry._errors import (
    RegistryTopicMissingError,
    RegistryUnavailableError,
    UnknownPipelineError,
)
from podium.registry._reader import PipelineRegistry, read_registry
from podium.registry._record import (
    DEFAULT_TOPIC,
    FORMAT,
    HASH_HEADER,
    RecordError,
    RegisteredPipeline,
    RegistryRecord,
    decode_record,
    encode_record,
    record_key,
)
from podium.registry._render import (
    apply_lines,
    apply_summary,
    pipeline_summaries,
    summary_table,
)
from podium.registry._request_topics import ensure_request_topics

__all__ = [
    "DEFAULT_TOPIC",
    "FORMAT",
    "HASH_HEADER",
    "ApplyResult",
    "ApplyStatus",
    "Catalog",
    "CatalogStats",
    "Decision",
    "PipelineRegistry",
    "Publish",
    "RecordError",
    "Refused",
    "RegisteredPipeline",
    "RegistryRecord",
    "RegistryTopicMissingError",
    "RegistryUnavailableError",
    "Unchanged",
    "UnknownPipelineError",
    "apply_lines",
    "apply_pipelines",
    "apply_summary",
    "checked_batch",
    "decode_record",
    "encode_record",
    "ensure_request_topics",
    "load_pipeline_files",
    "pipeline_summaries",
    "plan_apply",
    "publish_decision",
    "read_registry",
    "record_key",
    "short_hash",
    "summary_table",
]
