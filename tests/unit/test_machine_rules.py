"""Trigger rules and conditions that read what is not there, one rule per test, without Kafka.

A dependency is skipped with ``when: params.X == true`` given false, and fails for good under
``on_failure: continue`` (the only failure a running run shows its dependants)."""

from __future__ import annotations

from typing import Any

import pytest

import podium.coordinator.core as coordinator
from podium.contract import RunStatus, StepStatus
from podium.coordinator.core._plan import plan_of
from podium.pipelines import TriggerRule, canonical_json, content_hash
from tests.unit.test_machine_support import (
    Driver,
    make_pipeline,
    requested,
    run_events,
    step,
)

S = StepStatus
R = RunStatus


def two_deps(rule: str, **fields: Any) -> Driver:
    """``a`` (skipped unless params.a) and ``b`` (may fail, continuing) before ``c`` under
    ``rule``, and ``d`` after ``c`` under the default."""
    return Driver(
        make_pipeline(
            step("a", when="params.a == true"),
            step("b", on_failure="continue"),
            step("c", "a", "b", trigger_rule=rule, **fields),
            step("d", "c"),
        )
    )


def skip_reason(run: Driver, name: str) -> str:
    [event] = [
        e
        for d in run.decisions
        for e in run_events(d)
        if e.step == name and e.step_status is S.SKIPPED
    ]
    return str(event.detail["reason"])


@pytest.mark.parametrize(
    ("rule", "a_runs", "b_fails", "c_runs"),
    [
        ("all_done", False, True, True),
        ("all_success", True, False, True),
        ("all_success", False, False, False),
        ("all_success", True, True, False),
        ("all_failed", True, True, False),
        ("none_failed", False, False, True),
        ("none_failed", True, True, False),
        ("none_skipped", True, True, True),
        ("none_skipped", False, False, False),
        ("one_success", False, False, True),
        ("one_success", False, True, False),
        ("one_failed", False, True, True),
        ("one_failed", True, False, False),
    ],
)
def test_each_rule_runs_or_skips_the_step(
    rule: str, a_runs: bool, b_fails: bool, c_runs: bool
) -> None:
    run = two_deps(rule)
    run.start({"a": a_runs})
    if a_runs:
        run.succeed("a")
    decision = run.fail("b", retryable=False) if b_fails else run.succeed("b")
    c = run.run.steps["c"]
    if c_runs:
        assert c.status is S.RUNNING
        run.succeed("c")
    else:
        assert c.status is S.SKIPPED and "c" not in requested(decision)
        assert skip_reason(run, "c").startswith(f"trigger_rule {rule}: ")
    assert run.run.steps["d"].status is S.RUNNING  # the default rule: c is done either way
    run.succeed("d")
    assert run.run.status is R.SUCCEEDED


def test_all_success_skips_after_a_skipped_dependency_while_a_default_sibling_runs() -> None:
    run = Driver(
        make_pipeline(
            step("check", when="params.go == true"),
            step("strict", "check", trigger_rule="all_success"),
            step("lenient", "check"),
            step("after_strict", "strict", trigger_rule="all_success"),
        )
    )
    decision = run.start({"go": False})
    assert requested(decision) == ["lenient"]
    steps = run.run.steps
    assert (steps["strict"].status, steps["after_strict"].status) == (S.SKIPPED, S.SKIPPED)
    assert skip_reason(run, "strict") == "trigger_rule all_success: dependency 'check' was skipped"
    assert skip_reason(run, "after_strict") == (
        "trigger_rule all_success: dependency 'strict' was skipped"
    )
    run.succeed("lenient")
    assert run.run.status is R.SUCCEEDED


def test_an_all_success_step_is_skipped_at_once_not_after_its_other_dependencies() -> None:
    run = two_deps("all_success")
    run.start({"a": False})
    assert run.run.steps["b"].status is S.RUNNING
    assert run.run.steps["c"].status is S.SKIPPED  # a was skipped: c can never run
    assert requested(run.decisions[-1]) == ["b", "d"]  # and its dependant goes on at once


def test_one_success_starts_as_soon_as_one_dependency_has_succeeded() -> None:
    run = Driver(
        make_pipeline(
            step("fast"), step("slow"), step("first", "fast", "slow", trigger_rule="one_success")
        )
    )
    run.start()
    assert requested(run.succeed("fast")) == ["first"]
    assert run.run.steps["slow"].status is S.RUNNING
    [request] = [r for r in run.decisions[-1].commands if isinstance(r, coordinator.RequestStep)]
    assert request.input["upstream"] == {"fast": None, "slow": None}
    run.succeed("first")
    run.succeed("slow")
    assert run.run.status is R.SUCCEEDED


def test_one_success_without_any_success_says_how_each_dependency_ended() -> None:
    run = two_deps("one_success")
    run.start({"a": False})
    run.fail("b", retryable=False)
    assert skip_reason(run, "c") == (
        "trigger_rule one_success: every dependency finished without it (a was skipped, b failed)"
    )


def test_a_step_without_dependencies_starts_whatever_its_rule() -> None:
    run = Driver(make_pipeline(step("root", trigger_rule="one_failed")))
    assert requested(run.start()) == ["root"]


def test_only_non_default_rules_with_dependencies_are_in_the_plan() -> None:
    pipeline = make_pipeline(
        step("a"),
        step("b", "a", trigger_rule="all_done"),
        step("c", "a", trigger_rule="none_failed"),
        step("d", trigger_rule="all_success"),
    )
    assert {name: spec.rule for name, spec in plan_of(pipeline).rules.items()} == {
        "c": TriggerRule.NONE_FAILED
    }
    assert plan_of(make_pipeline(step("a"), step("b", "a"))).rules == {}


def test_the_default_rule_leaves_a_published_definition_unchanged() -> None:
    plain = make_pipeline(step("a"), step("b", "a"))
    spelt = make_pipeline(step("a"), step("b", "a", trigger_rule="all_done"))
    ruled = make_pipeline(step("a"), step("b", "a", trigger_rule="all_success"))
    assert "trigger_rule" not in canonical_json(plain)
    assert content_hash(spelt) == content_hash(plain)
    assert content_hash(ruled) != content_hash(plain)
    assert '"trigger_rule":"all_success"' in canonical_json(ruled)


# --- conditions that read what is not there --------------------------------------------------


def test_a_condition_on_a_missing_output_field_fails_the_step_naming_it() -> None:
    run = Driver(
        make_pipeline(
            step("load"),
            step("notify", "load", when="steps.load.output.rows_loaded > 0"),
        )
    )
    run.start()
    run.succeed("load", {"rows": 3})
    notify = run.run.steps["notify"]
    assert notify.status is S.FAILED and notify.error is not None
    assert notify.error.error_type == coordinator.CONDITION_ERROR
    assert notify.error.retryable is False
    assert "steps.load.output.rows_loaded is missing" in notify.error.error_message
    assert "has no field 'rows_loaded' (its fields: rows)" in notify.error.error_message
    assert run.run.status is R.FAILED


def test_a_condition_on_a_skipped_steps_output_fails_unless_it_has_a_default() -> None:
    def run_with(when: str) -> Driver:
        run = Driver(
            make_pipeline(
                step("load", when="params.go == true"),
                step("notify", "load", when=when, on_failure="continue"),
            )
        )
        run.start({"go": False})
        return run

    failing = run_with("steps.load.output.rows > 0")
    assert failing.run.steps["notify"].status is S.FAILED
    assert failing.run.status is R.SUCCEEDED  # on_failure: continue
    defaulted = run_with("default(steps.load.output.rows, 0) > 0")
    assert defaulted.run.steps["notify"].status is S.SKIPPED
    assert requested(run_with("default(steps.load.output.rows, 1) > 0").last) == ["notify"]


def test_the_demo_condition_holds_when_the_field_exists() -> None:
    run = Driver(
        make_pipeline(
            step("load"),
            step(
                "notify", "load", when="params.notify == true and steps.load.output.rows_loaded > 0"
            ),
        )
    )
    run.start({"notify": True})
    assert requested(run.succeed("load", {"rows_loaded": 4})) == ["notify"]
