"""The benchmark's pipelines, built in code for a run's topic prefix (pure)."""

from __future__ import annotations

from typing import Any

from podium.pipelines import Pipeline
from podium_bench._plan import STEPS
from podium_bench.services import step_topic

LINEAR = "bench-linear"
CHAIN = "bench-chain"
MAP = "bench-map"


def linear_services() -> list[str]:
    """The no-op service of each step of the linear pipeline (``noop-a`` ...)."""
    return [f"noop-{step}" for step in STEPS]


def chain_order(steps: int) -> list[str]:
    return [f"s{index:02d}" for index in range(1, steps + 1)]


def _sequence(prefix: str, steps: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Steps each after the one before, on their services' request topics."""
    specs: list[dict[str, Any]] = []
    for index, (name, service) in enumerate(steps):
        spec: dict[str, Any] = {"name": name, "service": service}
        spec["topic"] = step_topic(prefix, service)
        if index:
            spec["after"] = [steps[index - 1][0]]
        specs.append(spec)
    return specs


def linear(prefix: str) -> Pipeline:
    """a -> b -> c, each on its own no-op service."""
    steps = _sequence(prefix, list(zip(STEPS, linear_services(), strict=True)))
    return Pipeline.model_validate({"name": LINEAR, "version": 1, "steps": steps})


def chain(prefix: str, steps: int) -> Pipeline:
    """``steps`` sequential steps on the sleeping service."""
    specs = _sequence(prefix, [(name, "sleep") for name in chain_order(steps)])
    return Pipeline.model_validate({"name": CHAIN, "version": 1, "steps": specs})


def mapped(prefix: str, parallel: int) -> Pipeline:
    """One map step over the run's ``items`` param on a no-op service, ``parallel`` at once."""
    step = {
        "name": "each",
        "service": "noop-a",
        "topic": step_topic(prefix, "noop-a"),
        "for_each": "params.items",
        "max_parallel": parallel,
    }
    params = {"items": {"type": "array"}}
    return Pipeline.model_validate({"name": MAP, "version": 1, "params": params, "steps": [step]})
