"""The per-pipeline plan: the same answers as asking the pipeline, computed once per object."""

from __future__ import annotations

import gc

import pytest

from podium.contract import COMPENSATION_PREFIX
from podium.coordinator.core._plan import _PLANS, plan_of
from podium.pipelines import OnFailure, Pipeline
from tests.unit.test_machine_support import make_pipeline, step


def _pipeline(timeout: float = 5.0) -> Pipeline:
    return make_pipeline(
        step("a", timeout=timeout, compensation={"service": "undo-a", "timeout": 2}),
        step("b", "a", on_failure="continue", topic="custom"),
        step("c", "b", retry={"max_attempts": 4}),
    )


def test_specs_match_the_pipeline_steps_and_compensations() -> None:
    pipeline = _pipeline()
    specs = plan_of(pipeline).specs
    assert (specs["a"].topic, specs["a"].timeout_ms) == ("podium.steps.svc-a", 5000)
    assert specs["b"].topic == "custom"
    assert specs["c"].retry.max_attempts == 4
    undo = specs[COMPENSATION_PREFIX + "a"]
    assert (undo.topic, undo.timeout_ms, undo.on_failure) == ("podium.steps.undo-a", 2000, "fail")
    assert undo.retry is pipeline.step("a").retry  # a compensation retries like its step
    assert COMPENSATION_PREFIX + "b" not in specs  # b declares no compensation
    assert plan_of(pipeline).continues == {"b"}
    assert specs["b"].on_failure is OnFailure.CONTINUE


def test_a_pipeline_object_is_planned_once() -> None:
    pipeline = _pipeline()
    assert plan_of(pipeline) is plan_of(pipeline)


def test_an_equal_name_and_version_with_other_steps_gets_its_own_plan() -> None:
    first, second = _pipeline(timeout=5.0), _pipeline(timeout=9.0)
    assert (first.name, first.version) == (second.name, second.version)
    assert plan_of(first).specs["a"].timeout_ms == 5000
    assert plan_of(second).specs["a"].timeout_ms == 9000


def test_the_plan_goes_with_its_pipeline() -> None:
    pipeline = _pipeline()
    plan_of(pipeline)
    key = id(pipeline)
    assert key in _PLANS
    del pipeline
    gc.collect()
    assert key not in _PLANS


def test_an_unknown_step_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        plan_of(_pipeline()).specs["zzz"]
