"""Checks of ``kind: pipeline`` steps (pure; return problems).

What can be checked without the registry: the step's own fields, that each mapped param
reads a declared param, the step's input or a dependency's output, and that the step does
not run its own pipeline. Whether the child pipeline exists and takes those params is known
only when the child starts: a child refused then fails the step.
"""

from __future__ import annotations

from collections.abc import Iterator

from podium.pipelines._errors import Problem
from podium.pipelines._model import CHILD_SERVICE, ChildPipeline, Pipeline, Step, StepKind
from podium.pipelines._references import dependency_problem, field_value


def check_children(pipeline: Pipeline) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        where = f"steps[{index}] ({step.name})"
        yield from _kind_fields(step, where)
        if step.kind is StepKind.PIPELINE and step.pipeline is not None:
            yield from _child_problems(pipeline, step, step.pipeline, f"{where}.pipeline")


def _kind_fields(step: Step, where: str) -> Iterator[Problem]:
    child = step.kind is StepKind.PIPELINE
    if step.pipeline is not None and not child:
        yield Problem(f"{where}.pipeline", "pipeline belongs to kind: pipeline steps")
    if not child:
        if step.kind is StepKind.SERVICE and step.service == CHILD_SERVICE:
            message = f"{CHILD_SERVICE!r} names child runs: use kind: pipeline"
            yield Problem(f"{where}.service", message)
        return
    if step.pipeline is None:
        yield Problem(f"{where}.pipeline", "name the pipeline to run: pipeline: {name: ...}")
    if step.service != CHILD_SERVICE or step.topic is not None:
        yield Problem(f"{where}.service", "a pipeline step names no service nor topic")


def _child_problems(
    pipeline: Pipeline, step: Step, child: ChildPipeline, at: str
) -> Iterator[Problem]:
    if child.name == pipeline.name and child.version in (None, pipeline.version):
        shown = f"{child.name}@{child.version}" if child.version else child.name
        yield Problem(f"{at}.name", f"{shown} is this pipeline: a run would start itself")
    for name, given in child.params.items():
        if isinstance(given, str) and (message := _reference_problem(pipeline, step, given)):
            yield Problem(f"{at}.params.{name}", message)


def _reference_problem(pipeline: Pipeline, step: Step, reference: str) -> str | None:
    head, _, path = reference.partition(".")
    if head == "params" and path.split(".")[0] not in pipeline.params:
        declared = ", ".join(pipeline.params) or "none"
        return f"{reference!r} reads an undeclared param (declared: {declared})"
    if head == "input" and field_value(step.input, path) is None:
        return f"{reference!r}: the step's input has no {path!r}"
    return dependency_problem(reference, step.after)
