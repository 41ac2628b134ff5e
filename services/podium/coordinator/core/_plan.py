"""What the machine looks up in a pipeline, indexed once per pipeline object.

Every event asks the pipeline the same questions: a step by name (``Pipeline.step`` scans the
steps), a step's topic, timeout and retries (``StepSpec``; ``Step.request_topic`` builds the
topic string anew), which steps count as done after failing, which steps have a trigger rule
other than the default. Pipelines are frozen and a run
is pinned to one, so the answers are computed once per pipeline object and kept while it
lives.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from podium.contract import COMPENSATION_PREFIX  # tracked in the run state by its wire name
from podium.coordinator.core._rules import RULES, RuleSpec
from podium.pipelines import ChildPipeline, OnFailure, Pipeline, RetryPolicy, Step


def to_ms(seconds: float) -> int:
    """Whole milliseconds, at least 1 so that a timer is always strictly in the future."""
    return max(1, round(seconds * 1000))


@dataclass(frozen=True, slots=True)
class StepSpec:
    """What the machine needs to run a step or a compensation."""

    topic: str
    timeout_ms: int
    retry: RetryPolicy
    on_failure: OnFailure
    child: ChildPipeline | None = None
    """A ``kind: pipeline`` step's child run (its requests start a run, see ``_children``)."""


@dataclass(frozen=True, slots=True)
class PipelinePlan:
    """``names``: the step names in pipeline order. ``steps``: each step by name (the first
    of a name, as ``Pipeline.step`` finds it).
    ``continues``: the steps whose failure counts as done (``on_failure: continue``).
    ``specs``: the spec of every step and of every declared compensation.
    ``rules``: the rule of each step whose ``trigger_rule`` is not the default (with
    dependencies: without, a rule has nothing to judge); empty for most pipelines, which
    then keep the fan-out's one-set readiness test."""

    names: tuple[str, ...]
    steps: Mapping[str, Step]
    continues: frozenset[str]
    specs: Mapping[str, StepSpec]
    rules: Mapping[str, RuleSpec]


def plan_of(pipeline: Pipeline) -> PipelinePlan:
    """The pipeline's plan, built on first use. Pipelines are not hashable (dict fields), so
    plans are keyed by ``id``; the entry goes when the pipeline is collected, before its id
    can be reused, and the weak reference is checked anyway."""
    key = id(pipeline)
    entry = _PLANS.get(key)
    if entry is not None and entry[0]() is pipeline:
        return entry[1]
    plan = _plan(pipeline)
    _PLANS[key] = (weakref.ref(pipeline, lambda _: _PLANS.pop(key, None)), plan)
    return plan


_PLANS: dict[int, tuple[weakref.ref[Pipeline], PipelinePlan]] = {}


_DEFAULT_RULE = Step.model_fields["trigger_rule"].default


def _plan(pipeline: Pipeline) -> PipelinePlan:
    steps: dict[str, Step] = {}
    for step in pipeline.steps:
        steps.setdefault(step.name, step)
    return PipelinePlan(
        names=tuple(step.name for step in pipeline.steps),
        steps=steps,
        continues=frozenset(
            name for name, step in steps.items() if step.on_failure is OnFailure.CONTINUE
        ),
        specs={**_step_specs(steps), **_compensation_specs(steps)},
        rules={
            name: RULES[step.trigger_rule]
            for name, step in steps.items()
            if step.trigger_rule is not _DEFAULT_RULE and step.after
        },
    )


def _step_specs(steps: Mapping[str, Step]) -> dict[str, StepSpec]:
    return {
        name: StepSpec(
            step.request_topic, to_ms(step.timeout), step.retry, step.on_failure, step.pipeline
        )
        for name, step in steps.items()
    }


def _compensation_specs(steps: Mapping[str, Step]) -> dict[str, StepSpec]:
    """A compensation runs on its own topic and timeout with the original step's retries."""
    return {
        COMPENSATION_PREFIX + name: StepSpec(
            comp.request_topic, to_ms(comp.timeout), step.retry, OnFailure.FAIL
        )
        for name, step in steps.items()
        if (comp := step.compensation) is not None
    }
