"""Test pipelines, built in code, whose steps all run on the scripted worker."""

from __future__ import annotations

import uuid
from typing import Any

from podium.pipelines import Pipeline

FAST_RETRY = {"max_attempts": 3, "initial_backoff": "100ms", "factor": 2, "max_backoff": "1s"}


def step(stack_prefix: str, name: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("retry", FAST_RETRY)
    fields.setdefault("timeout", "20s")
    return {"name": name, "service": "worker", "topic": f"{stack_prefix}.steps.worker", **fields}


def pipeline(stack_prefix: str, *steps: dict[str, Any], **fields: Any) -> Pipeline:
    name = fields.pop("name", f"p-{uuid.uuid4().hex[:8]}")
    return Pipeline.model_validate({"name": name, "version": 1, "steps": steps, **fields})
