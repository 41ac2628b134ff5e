"""The step request's envelope, both halves: what the coordinator writes in a request's
``input_json`` and how a service unwraps it so a handler sees its own input.

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

COMPENSATION_PREFIX = "compensate:"
"""The ``step`` of a compensation's request and result is ``compensate:<step>`` (``:``
never occurs in step names); its request has ``compensate`` set too."""

_STEP_KEYS = frozenset({"input", "upstream"})
_COMPENSATION_KEYS = frozenset({"compensates", "input", "step_input", "output"})


def compensation_name(step: str) -> str:
    """The name of the request that undoes ``step``: ``compensate:<step>``."""
    return COMPENSATION_PREFIX + step


def compensated_step(step: str) -> str | None:
    """The step that ``compensate:<step>`` undoes, or None for a pipeline step."""
    return step.removeprefix(COMPENSATION_PREFIX) if step.startswith(COMPENSATION_PREFIX) else None


def map_item_name(step: str, index: int) -> str:
    """The ``step`` of a map item's request and result: ``<step>[<index>]`` (``[`` never
    occurs in step names), e.g. ``resize[17]``; its attempts are the item's own."""
    return f"{step}[{index}]"


def map_item_of(name: str) -> tuple[str, int] | None:
    """``(step, index)`` of a map item's ``<step>[<index>]``; None for any other name."""
    if not name.endswith("]"):
        return None
    step, bracket, index = name[:-1].partition("[")
    if not bracket or not step or not index.isdigit() or not index.isascii():
        return None
    return step, int(index)


# -- the coordinator's half: writing -------------------------------------------------------


def step_envelope(input: Mapping[str, Any], upstream: dict[str, Any]) -> dict[str, Any]:
    """A pipeline step's request input: its static input and its dependencies' outputs."""
    return {"input": dict(input), "upstream": upstream}


def compensation_envelope(
    step: str, input: Mapping[str, Any], step_input: Mapping[str, Any], output: Any
) -> dict[str, Any]:
    """``compensate:<step>``'s request input: the compensation's own static input, and the
    input and output of the step it undoes."""
    return {
        "input": dict(input),
        "compensates": step,
        "step_input": dict(step_input),
        "output": output,
    }


# -- the service's half: reading -----------------------------------------------------------


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
