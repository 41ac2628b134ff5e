"""A pipeline's canonical JSON and content hash, for the (name, version) immutability check.

Fields left at their defaults are omitted, so a definition keeps its hash when
it spells a default out, is written in another key order, writes ``30s`` as
``30``, or when Podium later adds a field with a default.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from podium.pipelines._model import Pipeline, Trigger


def canonical_json(pipeline: Pipeline) -> str:
    """Compact JSON of the definition with sorted keys and defaults omitted."""
    data = pipeline.model_dump(mode="json", exclude_defaults=True)
    if pipeline.triggers:  # keep each trigger's tag, or the JSON would not load back
        data["triggers"] = [_with_type(trigger) for trigger in pipeline.triggers]
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _with_type(trigger: Trigger) -> dict[str, Any]:
    return {**trigger.model_dump(mode="json", exclude_defaults=True), "type": trigger.type}


def content_hash(pipeline: Pipeline) -> str:
    """``sha256:<hex>`` of the canonical JSON: equal hashes mean the same definition."""
    digest = hashlib.sha256(canonical_json(pipeline).encode("utf-8")).hexdigest()
    return f"sha256:{digest}"
