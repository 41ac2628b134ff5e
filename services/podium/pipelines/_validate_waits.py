"""Checks of waiting steps (kinds event, approval and signal; pure; return problems)."""

from __future__ import annotations

from collections.abc import Iterator

from podium.pipelines._errors import Problem
from podium.pipelines._model import WAITER_SERVICE, Pipeline, Step, StepKind
from podium.pipelines._references import dependency_problem
from podium.pipelines._validate_triggers import format_problems, glob_problem, topic_problem

_OWN_FIELD = {StepKind.EVENT: "event", StepKind.SIGNAL: "signal", StepKind.APPROVAL: "approval"}


def check_waits(pipeline: Pipeline) -> Iterator[Problem]:
    for index, step in enumerate(pipeline.steps):
        where = f"steps[{index}] ({step.name})"
        yield from _kind_fields(step, where)
        if step.kind is StepKind.EVENT and step.event is not None:
            yield from _event_problems(step, where)


def _kind_fields(step: Step, where: str) -> Iterator[Problem]:
    """Each kind's own field only on its kind; the waiter's name only for waiting steps."""
    for kind, field in _OWN_FIELD.items():
        if getattr(step, field) is not None and step.kind is not kind:
            yield Problem(f"{where}.{field}", f"{field} belongs to kind: {kind} steps")
    if step.kind is StepKind.SERVICE and step.service == WAITER_SERVICE:
        yield Problem(
            f"{where}.service",
            f"{WAITER_SERVICE!r} is Podium's waiter: use kind: event, approval or signal",
        )
    if step.waits and step.service != WAITER_SERVICE:
        yield Problem(f"{where}.service", "a waiting step names no service (the waiter serves it)")
    if step.waits and step.compensation is not None:
        yield Problem(f"{where}.compensation", "a waiting step has nothing to undo")
    if step.kind is StepKind.EVENT and step.event is None:
        yield Problem(f"{where}.event", "name the event: its topic and how it names the run")


def _event_problems(step: Step, where: str) -> Iterator[Problem]:
    wait = step.event
    assert wait is not None
    at = f"{where}.event"
    if message := topic_problem(wait.topic):
        yield Problem(f"{at}.topic", message)
    yield from format_problems(wait.reading, at)
    globs = (("match", wait.match), ("headers", wait.headers), ("fails_on", wait.fails_on or {}))
    for kind, patterns in globs:
        for name, pattern in patterns.items():
            if message := glob_problem(pattern):
                yield Problem(f"{at}.{kind}.{name}", message)
    correlate = wait.correlate
    if (correlate.header is None) == (correlate.field is None):
        yield Problem(f"{at}.correlate", "name one header or one field the event names its run by")
    if message := dependency_problem(correlate.equals, step.after):
        yield Problem(f"{at}.correlate.equals", message)
