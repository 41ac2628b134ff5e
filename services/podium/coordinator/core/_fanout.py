"""Fan-out and fan-in: start every step whose dependencies are done, finish a completed run.

A step is ready when it is pending and its trigger rule has a verdict: under the default
``all_done``, when each ``after`` dependency counts as done (see ``done_steps``); under another
rule (``PipelinePlan.rules``, see ``_rules``), when the rule is met (the step goes on) or can
no longer be met (the step is skipped, saying which rule and which dependency). Its ``when``
condition then decides: true -> requested (attempt 1), false -> skipped (done for its
dependants, so more steps may become ready), and a condition that cannot be evaluated (one
that reads a field that does not exist, say) fails the step (not retryable) under its
``on_failure`` policy. Conditions see ``finished_steps``: each finished pipeline step's
status and output.
"""

from __future__ import annotations

from collections.abc import Mapping

from podium.contract import RunStatus, StepError, StepStatus
from podium.coordinator.core._failure import fail_attempt
from podium.coordinator.core._map import start_map
from podium.coordinator.core._rules import START, WAIT, RuleSpec, verdict
from podium.coordinator.core._state import JsonValue
from podium.coordinator.core._tx import Tx, done_steps, finish_run, finish_step, request_step
from podium.errors import PodiumError
from podium.pipelines import Step, evaluate_condition

CONDITION_ERROR = "ConditionError"


def advance(tx: Tx) -> None:
    """Start ready steps until none is left (a skip can ready more), then maybe finish."""
    while tx.state.status is RunStatus.RUNNING and (ready := _ready(tx)):
        for step in ready:
            if tx.state.status is RunStatus.RUNNING:
                _start(tx, step)
    status = tx.state.status
    if status is RunStatus.RUNNING:
        _finish_if_done(tx)
    elif status is RunStatus.PAUSED and done_steps(tx).issuperset(tx.plan.names):
        finish_run(tx, RunStatus.SUCCEEDED)  # pausing holds back new work, not a finished run


def _ready(tx: Tx) -> list[Step]:
    steps, done, rules = tx.state.steps, done_steps(tx), tx.plan.rules
    if rules:  # only pipelines with a non-default trigger rule pay for rules
        return _ready_by_rule(tx, done, rules)
    return [
        step
        for step in tx.pipeline.steps
        if steps[step.name].status is _PENDING and done.issuperset(step.after)
    ]


def _ready_by_rule(tx: Tx, done: set[str], rules: Mapping[str, RuleSpec]) -> list[Step]:
    """As ``_ready``, where a step with a rule is ready once its rule has a verdict."""
    steps = tx.state.steps
    return [
        step
        for step in tx.pipeline.steps
        if steps[step.name].status is _PENDING
        and (
            done.issuperset(step.after)
            if (spec := rules.get(step.name)) is None
            else verdict(spec, step.after, steps) != WAIT
        )
    ]


_PENDING = StepStatus.PENDING  # a global: read for every step on every event (see _tx)


def _start(tx: Tx, step: Step) -> None:
    if tx.plan.rules and (unmet := _unmet_rule(tx, step)) is not None:
        finish_step(tx, step.name, StepStatus.SKIPPED, unmet)
        return
    holds = _condition(tx, step)
    if isinstance(holds, StepError):
        fail_attempt(tx, step.name, holds)
    elif not holds:
        finish_step(tx, step.name, StepStatus.SKIPPED, {"condition": step.when})
    elif step.for_each is not None:  # a map step: one request per item (see _map)
        start_map(tx, step)
    else:  # attempts go on counting after a re-run (0 before the first request)
        request_step(tx, step.name, tx.step(step.name).attempt + 1)


def _unmet_rule(tx: Tx, step: Step) -> dict[str, JsonValue] | None:
    """The skip's detail if the step's rule can never be met. Asked again at the start (an
    earlier start in the same pass may have finished a dependency): a verdict, once given,
    never changes, since finished steps never do."""
    spec = tx.plan.rules.get(step.name)
    if spec is None or (said := verdict(spec, step.after, tx.state.steps)) == START:
        return None
    return {"trigger_rule": spec.rule.value, "reason": said}


def _condition(tx: Tx, step: Step) -> bool | StepError:
    if step.when is None:
        return True
    try:
        return evaluate_condition(step.when, tx.state.params, finished_steps(tx))
    except (PodiumError, ValueError, TypeError, LookupError, ArithmeticError) as exc:
        message = f"when {step.when!r}: {exc}"
        return StepError(error_type=CONDITION_ERROR, error_message=message, retryable=False)


def finished_steps(tx: Tx) -> dict[str, dict[str, JsonValue]]:
    """What conditions see: each finished pipeline step's status and output."""
    return {
        step.name: {"status": state.status.value, "output": state.output}
        for step in tx.pipeline.steps
        if (state := tx.step(step.name)).status.is_finished
    }


def _finish_if_done(tx: Tx) -> None:
    """All steps done -> succeeded; nothing active yet steps left -> the run can never end."""
    names = tx.plan.names
    if done_steps(tx).issuperset(names):
        finish_run(tx, RunStatus.SUCCEEDED)
    elif not any(tx.step(name).status.is_active for name in names):
        stuck = [name for name in names if not tx.step(name).status.is_finished]
        finish_run(tx, RunStatus.FAILED, f"steps {stuck} can never run (invalid pipeline?)")
