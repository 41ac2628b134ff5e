"""Checks of map steps (``for_each``, see docs/map.md; pure, return problems).

A map step is a service step whose ``for_each`` names a list in the run: a dependency's
output (``steps.<dependency>.output.<path>``, the dependency in ``after``) or a declared
param (``params.<path>``). ``max_parallel`` and ``on_item_failure`` belong to map steps,
and the keys ``item`` and ``index`` of a map step's input are the item's own.
"""

from __future__ import annotations

from collections.abc import Iterator

from podium.pipelines._errors import Problem
from podium.pipelines._model import Pipeline, Step, StepKind
from podium.pipelines._references import dependency_problem

ITEM_KEYS = ("item", "index")
"""What a map item's request adds to the step's input: the item and its index."""
_MAP_FIELDS = ("max_parallel", "on_item_failure")


def check_maps(pipeline: Pipeline) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        where = f"steps[{index}] ({step.name})"
        if step.for_each is None:
            for name in _MAP_FIELDS:
                if name in step.model_fields_set:
                    yield Problem(f"{where}.{name}", f"{name} belongs to map steps: add for_each")
            continue
        yield from _map_problems(pipeline, step, step.for_each, where)


def _map_problems(pipeline: Pipeline, step: Step, reference: str, where: str) -> Iterator[Problem]:
    if step.kind is not StepKind.SERVICE:
        kind = f"for_each maps service steps; kind: {step.kind} is not supported"
        yield Problem(f"{where}.for_each", kind)
    if problem := _reference_problem(pipeline, step, reference):
        yield Problem(f"{where}.for_each", problem)
    for key in ITEM_KEYS:
        if key in step.input:
            taken = f"{key!r} is the item's own key in a map step's input: rename it"
            yield Problem(f"{where}.input.{key}", taken)


def _reference_problem(pipeline: Pipeline, step: Step, reference: str) -> str | None:
    head, _, path = reference.partition(".")
    if head == "params" and path:
        if path.split(".")[0] in pipeline.params:
            return None
        declared = ", ".join(pipeline.params) or "none"
        return f"{reference!r} reads an undeclared param (declared: {declared})"
    if head != "steps":
        return f"write steps.<dependency>.output.<path> or params.<name>; got {reference[:60]!r}"
    return dependency_problem(reference, step.after)
