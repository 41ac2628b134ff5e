"""Trigger rules: whether a pending step's dependencies let it start, or never will.

Each rule is data (``RuleSpec``): the statuses that start it at once (``one_*``), the
statuses that rule it out (``all_*``, ``none_*``), and what it says once every dependency
has finished without either (start for the ``all_*``/``none_*`` rules, skip for ``one_*``).
Rules only ever move from "wait" to a verdict, because finished steps never change.

Only steps with a non-default rule are looked up here (``PipelinePlan.rules``): a pipeline
without any keeps the fan-out's one-set test of the default ``all_done``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from podium.contract import StepStatus
from podium.coordinator.core._state import StepState
from podium.pipelines import TriggerRule

_OK, _FAILED, _SKIPPED = StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED
_FINISHED = frozenset(status for status in StepStatus if status.is_finished)


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """``starts``: a dependency in one of these starts the step at once. ``excludes``: one in
    these skips it at once. Neither, once all finished: ``starts_when_all_done``."""

    rule: TriggerRule
    starts: frozenset[StepStatus]
    excludes: frozenset[StepStatus]
    starts_when_all_done: bool


def _all(rule: TriggerRule, *allowed: StepStatus) -> RuleSpec:
    return RuleSpec(rule, frozenset(), _FINISHED - set(allowed), True)


RULES: Mapping[TriggerRule, RuleSpec] = {
    TriggerRule.ALL_DONE: _all(TriggerRule.ALL_DONE, *_FINISHED),
    TriggerRule.ALL_SUCCESS: _all(TriggerRule.ALL_SUCCESS, _OK),
    TriggerRule.ALL_FAILED: _all(TriggerRule.ALL_FAILED, _FAILED),
    TriggerRule.NONE_FAILED: RuleSpec(
        TriggerRule.NONE_FAILED, frozenset(), frozenset({_FAILED}), True
    ),
    TriggerRule.NONE_SKIPPED: RuleSpec(
        TriggerRule.NONE_SKIPPED, frozenset(), frozenset({_SKIPPED}), True
    ),
    TriggerRule.ONE_SUCCESS: RuleSpec(
        TriggerRule.ONE_SUCCESS, frozenset({_OK}), frozenset(), False
    ),
    TriggerRule.ONE_FAILED: RuleSpec(
        TriggerRule.ONE_FAILED, frozenset({_FAILED}), frozenset(), False
    ),
}

WAIT = "wait"
START = "start"


def verdict(spec: RuleSpec, after: tuple[str, ...], steps: Mapping[str, StepState]) -> str:
    """``START``, ``WAIT``, or why the rule can never be met (the step is then skipped)."""
    waiting = False
    for dep in after:
        status = steps[dep].status
        if status in spec.starts:
            return START
        if status in spec.excludes:
            return f"trigger_rule {spec.rule}: dependency {dep!r} {_PAST[status]}"
        waiting = waiting or status not in _FINISHED
    if waiting:
        return WAIT
    if spec.starts_when_all_done:
        return START
    outcomes = ", ".join(f"{dep} {_PAST[steps[dep].status]}" for dep in after)
    return f"trigger_rule {spec.rule}: every dependency finished without it ({outcomes})"


_PAST = {status: f"is {status.value.lower()}" for status in StepStatus} | {
    _OK: "succeeded",
    _FAILED: "failed",
    _SKIPPED: "was skipped",
    StepStatus.CANCELLED: "was cancelled",
    StepStatus.COMPENSATED: "was compensated",
}
