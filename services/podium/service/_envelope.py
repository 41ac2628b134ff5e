"""The coordinator's request envelope, unwrapped so a handler sees its own input.

The coordinator sends ``{"input": <static input>, "upstream": {<dep>: <output>}}``
for a pipeline step and ``{"compensates": <step>, "input": <the compensation's
input>, "step_input": <the step's input>, "output": <its output>}`` for a
``compensate:<step>`` request (``step_input`` and ``output`` optional). Anything
else (a producer that is not the coordinator) is the handler's input as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from podium.events import COMPENSATION_PREFIX

_STEP_KEYS = frozenset({"input", "upstream"})
_COMPENSATION_KEYS = frozenset({"compensates", "input", "step_input", "output"})


@dataclass(frozen=True, slots=True)
class StepInput:
    """What a request carries, split into the handler's input and its surroundings."""

    input: Any
    upstream: Mapping[str, Any] = field(default_factory=dict)
    compensates: str | None = None
    compensated_output: Any = None
    compensated_input: Any = None


def split_input(raw: Any, step: str = "") -> StepInput:
    """Unwrap the envelope when ``raw`` is one; ``step`` names a bare compensation."""
    if _is_compensation(raw):
        compensates = str(raw["compensates"])
        return StepInput(raw["input"], {}, compensates, raw.get("output"), raw.get("step_input"))
    if isinstance(raw, dict) and raw.keys() == _STEP_KEYS and isinstance(raw["upstream"], dict):
        return StepInput(raw["input"], raw["upstream"])
    return StepInput(raw, {}, compensated_step(step))


def _is_compensation(raw: Any) -> bool:
    return (
        isinstance(raw, dict)
        and {"compensates", "input"} <= raw.keys() <= _COMPENSATION_KEYS
        and isinstance(raw["compensates"], str)
    )


def compensated_step(step: str) -> str | None:
    """The step that ``compensate:<step>`` undoes, or None for a pipeline step."""
    return step.removeprefix(COMPENSATION_PREFIX) if step.startswith(COMPENSATION_PREFIX) else None
