"""Rules across fields and steps, as pure functions that return every problem found.

Field-level rules (types, name patterns, durations) are the model's; here we
check what needs the whole pipeline: step names and dependencies, cycles,
conditions, topics, timings. Params and triggers are in ``_validate_triggers``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from podium.pipelines._errors import (
    ExpressionError,
    LimitError,
    PipelineValidationError,
    Problem,
)
from podium.pipelines._expr import Condition, parse_condition
from podium.pipelines._expr_ast import Compare, ListExpr, Literal, Node, StepStatus, walk
from podium.pipelines._graph import ancestors, dependencies, find_cycles, format_cycle
from podium.pipelines._limits import limit_problems
from podium.pipelines._model import Pipeline, Step
from podium.pipelines._validate_children import check_children
from podium.pipelines._validate_map import check_maps
from podium.pipelines._validate_triggers import check_params, check_triggers, topic_problem
from podium.pipelines._validate_types import type_problems
from podium.pipelines._validate_waits import check_waits
from podium.settings import LimitsSettings

STEP_STATUSES = frozenset(
    {"pending", "requested", "running", "retry_wait", "succeeded", "failed", "skipped"}
    | {"cancelled", "compensating", "compensated", "unknown"}
)
"""What ``steps.X.status`` can read (the StepStatus enum, in lower case)."""

Check = Callable[[Pipeline], Iterator[Problem]]


def validate_pipeline(pipeline: Pipeline, limits: LimitsSettings | None = None) -> list[Problem]:
    """Every cross-field problem of ``pipeline``; empty when it is valid. ``limits`` (default:
    ``LimitsSettings()``) caps the step count and condition lengths; pass ``UNLIMITED`` to
    re-check a definition that was accepted before."""
    limits = limits or LimitsSettings()
    checks: tuple[Check, ...] = (
        partial(limit_problems, limits=limits),
        _duplicate_steps,
        _unknown_dependencies,
        _cycles,
        _rules_without_dependencies,
        partial(_conditions, max_length=limits.max_expression_length),
        _topics,
        _timings,
        check_params,
        check_triggers,
        check_waits,
        check_children,
        check_maps,
    )
    return [problem for check in checks for problem in check(pipeline)]


def check_pipeline(pipeline: Pipeline, limits: LimitsSettings | None = None) -> Pipeline:
    """``pipeline`` itself if valid, else PipelineValidationError with every problem."""
    if problems := validate_pipeline(pipeline, limits):
        raise PipelineValidationError(problems)
    return pipeline


def step_location(index: int, step: Step, field: str = "") -> str:
    """``steps[2] (load).after``: the index finds it in the file, the name in the head."""
    return f"steps[{index}] ({step.name})" + (f".{field}" if field else "")


def _known_steps(pipeline: Pipeline) -> str:
    return ", ".join(dict.fromkeys(step.name for step in pipeline.steps))


def _duplicate_steps(pipeline: Pipeline) -> Iterator[Problem]:
    first: dict[str, int] = {}
    for index, step in enumerate(pipeline.steps):
        if step.name in first:
            message = f"duplicate step name {step.name!r} (first at steps[{first[step.name]}])"
            yield Problem(step_location(index, step, "name"), message)
        first.setdefault(step.name, index)


def _unknown_dependencies(pipeline: Pipeline) -> Iterator[Problem]:
    names = {step.name for step in pipeline.steps}
    for index, step in enumerate(pipeline.steps):
        where = step_location(index, step, "after")
        for dep in dict.fromkeys(step.after):
            if dep not in names:
                known = _known_steps(pipeline)
                yield Problem(where, f"unknown step {dep!r} (known: {known})")
            if step.after.count(dep) > 1:
                yield Problem(where, f"{dep!r} is listed more than once")


def _cycles(pipeline: Pipeline) -> Iterator[Problem]:
    position = {step.name: index for index, step in reversed(list(enumerate(pipeline.steps)))}
    for cycle in find_cycles(dependencies(pipeline)):
        index = position[cycle[0]]
        where = step_location(index, pipeline.steps[index], "after")
        yield Problem(where, f"cycle: {format_cycle(cycle)} (each step waits for the one before)")


def _rules_without_dependencies(pipeline: Pipeline) -> Iterator[Problem]:
    default = Step.model_fields["trigger_rule"].default
    for index, step in enumerate(pipeline.steps):
        if step.trigger_rule is not default and not step.after:
            yield Problem(
                step_location(index, step, "trigger_rule"),
                f"{step.trigger_rule} judges the step's dependencies, and it has none "
                "(a step without 'after' always starts): add 'after' or remove the rule",
            )


def _conditions(pipeline: Pipeline, max_length: int) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        if step.when is not None:
            where = step_location(index, step, "when")
            problems = _condition_problems(pipeline, step, max_length)
            yield from (Problem(where, message) for message in problems)


def _condition_problems(pipeline: Pipeline, step: Step, max_length: int) -> Iterator[str]:
    assert step.when is not None
    if len(step.when) > max_length:  # said without quoting the whole condition back
        error = LimitError(
            "when", "max_expression_length", len(step.when), max_length, "characters"
        )
        yield f"the condition is {error.explanation}"
        return
    try:
        condition = parse_condition(step.when, max_length=None)
    except ExpressionError as exc:
        yield f"cannot parse {step.when!r}: {exc}"
        return
    yield from _reference_problems(pipeline, step, condition)
    yield from _status_problems(condition.root)
    yield from type_problems(condition.root, pipeline.params)


def _reference_problems(pipeline: Pipeline, step: Step, condition: Condition) -> Iterator[str]:
    param_refs, step_refs = condition.references()
    declared = ", ".join(pipeline.params) or "none"
    for name in sorted(param_refs - pipeline.params.keys()):
        yield (
            f"unknown param {name!r} in params.{name} (declared: {declared}): "
            f"declare it under params, or fix the name"
        )
    names = {each.name for each in pipeline.steps}
    before = ancestors(dependencies(pipeline), step.name)
    for name in sorted(step_refs):
        if name not in names:
            yield f"unknown step {name!r} in steps.{name} (known: {_known_steps(pipeline)})"
        elif name not in before:
            yield (
                f"steps.{name} is not known yet when {step.name!r} is decided: "
                f"add {name!r} to 'after' (directly or through another step)"
            )


def _status_problems(root: Node) -> Iterator[str]:
    """Statuses compared with strings that no step ever has (``'SUCCEEDED'``, ``'done'``)."""
    for node in walk(root):
        if isinstance(node, Compare) and StepStatus in (type(node.left), type(node.right)):
            for text in _literal_strings(node.left) + _literal_strings(node.right):
                yield from _status_problem(text)


def _literal_strings(node: Node) -> list[str]:
    nodes = node.items if isinstance(node, ListExpr) else (node,)
    return [
        each.value for each in nodes if isinstance(each, Literal) and isinstance(each.value, str)
    ]


def _status_problem(text: str) -> Iterator[str]:
    if text.lower() in STEP_STATUSES and text != text.lower():
        yield f"step statuses read in lower case: write {text.lower()!r}, not {text!r}"
    elif text not in STEP_STATUSES:
        known = ", ".join(sorted(STEP_STATUSES))
        yield f"no step has status {text!r} (statuses: {known})"


def _topics(pipeline: Pipeline) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        if step.topic is not None and (message := topic_problem(step.topic)):
            yield Problem(step_location(index, step, "topic"), message)
        topic = step.compensation.topic if step.compensation else None
        if topic is not None and (message := topic_problem(topic)):
            yield Problem(step_location(index, step, "compensation.topic"), message)


def _timings(pipeline: Pipeline) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        if step.timeout <= 0:
            yield Problem(step_location(index, step, "timeout"), "must be longer than 0s")
        if step.compensation is not None and step.compensation.timeout <= 0:
            where = step_location(index, step, "compensation.timeout")
            yield Problem(where, "must be longer than 0s")
        retry = step.retry
        if retry.initial_backoff > retry.max_backoff:
            yield Problem(
                step_location(index, step, "retry.initial_backoff"),
                f"{retry.initial_backoff:g}s is longer than max_backoff ({retry.max_backoff:g}s)",
            )
