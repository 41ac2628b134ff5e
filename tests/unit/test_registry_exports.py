"""Pins podium.registry's public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium.registry


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium.registry.__all__) == sorted(
        [
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
            "ensure_request_topics",
            "decode_record",
            "encode_record",
            "load_pipeline_files",
            "pipeline_summaries",
            "plan_apply",
            "publish_decision",
            "read_registry",
            "record_key",
            "short_hash",
            "summary_table",
        ]
    )
    for name in podium.registry.__all__:
        assert getattr(podium.registry, name) is not None
    assert podium.registry.DEFAULT_TOPIC == "podium.pipelines"
