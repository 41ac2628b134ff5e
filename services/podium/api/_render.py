"""Published pipelines as the API shows them. Pure."""

from __future__ import annotations

from typing import Any

from podium.registry import RegisteredPipeline


def pipeline_json(entry: RegisteredPipeline) -> dict[str, Any]:
    """One published version: what a caller needs to start a run of it."""
    pipeline = entry.pipeline
    return {
        "name": pipeline.name,
        "version": pipeline.version,
        "description": pipeline.description,
        "params": {name: spec.model_dump(mode="json") for name, spec in pipeline.params.items()},
        "steps": [
            {"name": step.name, "service": step.service, "after": list(step.after)}
            for step in pipeline.steps
        ],
        "max_active_runs": pipeline.max_active_runs,
        "content_hash": entry.content_hash,
        "published_at": entry.published_at.isoformat(),
    }
