"""The coordinator's request envelope, unwrapped so a handler sees its own input.

The coordinator sends ``{"input": <static input>, "upstream": {<dep>: <output>}}``
for a pipeline step and ``{"compensates": <step>, "input": <input>, "output":
<its output>}`` for a ``compensate:<step>`` request. Anything else (a producer
that is not the coordinator) is the handler's input as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

COMPENSATION_PREFIX = "compensate:"
_STEP_KEYS = frozenset({"input", "upstream"})
_COMPENSATION_KEYS = frozenset({"compensates", "input", "output"})


@dataclass(frozen=True, slots=True)
class StepInput:
    """What a request carries, split into the handler's input and its surroundings."""

    input: Any
    upstream: Mapping[str, Any] = field(default_factory=dict)
    compensates: str | None = None
    compensated_output: Any = None


def split_input(raw: Any, step: str = "") -> StepInput:
    """Unwrap the envelope when ``raw`` is one; ``step`` names a bare compensation."""
    if isinstance(raw, dict) and raw.keys() == _COMPENSATION_KEYS:
        return StepInput(raw["input"], {}, str(raw["compensates"]), raw["output"])
    if isinstance(raw, dict) and raw.keys() == _STEP_KEYS and isinstance(raw["upstream"], dict):
        return StepInput(raw["input"], raw["upstream"])
    return StepInput(raw, {}, compensated_step(step))


def compensated_step(step: str) -> str | None:
    """The step that ``compensate:<step>`` undoes, or None for a pipeline step."""
    return step.removeprefix(COMPENSATION_PREFIX) if step.startswith(COMPENSATION_PREFIX) else None
