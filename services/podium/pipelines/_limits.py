"""Input limits as pure checks: sizes against the caps of ``LimitsSettings``.

The caps are enforced where input enters Podium (API, CLI, coordinator) and never on what
was already accepted: a published definition is read back with :data:`UNLIMITED`, so a
reader whose limits are lower than the publisher's still runs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from podium.pipelines._errors import LimitError, Problem
from podium.pipelines._model import Pipeline
from podium.settings import LimitsSettings

_HUGE = 2**62
UNLIMITED = LimitsSettings(
    max_message_bytes=_HUGE,
    max_output_bytes=_HUGE,
    max_params_bytes=_HUGE,
    max_steps=_HUGE,
    max_expression_length=_HUGE,
)
"""For re-reading what was accepted before (registry records): no size refused."""


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how params are measured, wherever they are)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return len(text.encode("utf-8"))


def check_size(field: str, limit: str, size: int, maximum: int, unit: str = "bytes") -> None:
    """LimitError when ``size`` is over ``maximum``; ``limit`` names the setting."""
    if size > maximum:
        raise LimitError(field, limit, size, maximum, unit)


def check_params_size(params: Any, limits: LimitsSettings, field: str = "params") -> None:
    """LimitError when ``params`` (JSON-able) are larger than ``max_params_bytes``."""
    check_size(field, "max_params_bytes", json_size(params), limits.max_params_bytes)


def check_message_size(value: bytes | None, limits: LimitsSettings, field: str) -> None:
    """LimitError when a message (or request body) is larger than ``max_message_bytes``."""
    check_size(field, "max_message_bytes", len(value or b""), limits.max_message_bytes)


def limit_problems(pipeline: Pipeline, limits: LimitsSettings) -> Iterator[Problem]:
    """The pipeline's step count over ``max_steps`` (condition lengths are checked with the
    conditions themselves, see ``_validate``)."""
    count = len(pipeline.steps)
    if count > limits.max_steps:
        error = LimitError("steps", "max_steps", count, limits.max_steps, "steps")
        yield Problem("steps", error.explanation)
