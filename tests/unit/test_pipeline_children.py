"""Validation of ``kind: pipeline`` steps: what ``podium pipelines validate`` says without
the registry, and the model's own rules."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from podium.pipelines import Pipeline, StepKind, validate_pipeline
from podium.registry._request_topics import request_topics


def _pipeline(*steps: dict[str, Any], **fields: Any) -> Pipeline:
    definition = {"name": "parent", "version": 3, "steps": list(steps), **fields}
    return Pipeline.model_validate(definition)


def _sub(**child: Any) -> dict[str, Any]:
    return {
        "name": "sub",
        "kind": "pipeline",
        "after": ["a"],
        "pipeline": {"name": "child", **child},
    }


A = {"name": "a", "service": "svc"}


def _problems(*steps: dict[str, Any], **fields: Any) -> list[str]:
    return [f"{p.location}: {p.message}" for p in validate_pipeline(_pipeline(*steps, **fields))]


def test_a_pipeline_step_names_no_service_and_is_tried_once() -> None:
    step = _pipeline(A, _sub()).step("sub")
    assert step.kind is StepKind.PIPELINE and step.service == "pipeline"
    assert step.retry.max_attempts == 1 and not step.waits
    assert request_topics([_pipeline(A, _sub())]) == ["podium.steps.svc"]  # no topic for it
    assert _problems(A, _sub()) == []


def test_references_are_checked_against_params_input_and_dependencies() -> None:
    params = {
        "ok_param": "params.day",
        "ok_dep": "steps.a.output.uri",
        "ok_input": "input.mode",
        "ok_run": "run_id",
        "literal": 5,
        "undeclared": "params.nope",
        "not_after": "steps.b.output.uri",
        "no_output": "steps.a.uri",
        "no_input": "input.missing",
    }
    sub = {**_sub(params=params), "input": {"mode": "fast"}}
    b = {"name": "b", "service": "svc"}
    problems = _problems(A, b, sub, params={"day": {"type": "string"}})
    at = "steps[2] (sub).pipeline.params"
    assert problems == [
        f"{at}.undeclared: 'params.nope' reads an undeclared param (declared: day)",
        f"{at}.not_after: 'b' is not in after: a step sees only its dependencies' outputs",
        f"{at}.no_output: write steps.<step>.output.<path>",
        f"{at}.no_input: 'input.missing': the step's input has no 'missing'",
    ]


def test_a_literal_string_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValidationError) as caught:
        _pipeline(A, _sub(params={"mode": "fast"}))
    assert "params.mode: expected run_id, params.<name>" in str(caught.value)
    assert "a literal string goes in input" in str(caught.value)


@pytest.mark.parametrize("version", [None, 3])
def test_a_step_may_not_run_its_own_pipeline(version: int | None) -> None:
    sub = {"name": "sub", "kind": "pipeline", "pipeline": {"name": "parent", "version": version}}
    [problem] = _problems(sub)
    assert problem.startswith("steps[0] (sub).pipeline.name: parent")
    assert problem.endswith("is this pipeline: a run would start itself")


def test_another_version_of_the_same_pipeline_is_allowed() -> None:
    sub = {"name": "sub", "kind": "pipeline", "pipeline": {"name": "parent", "version": 2}}
    assert _problems(sub) == []


def test_kind_and_field_must_agree() -> None:
    assert _problems({"name": "sub", "kind": "pipeline"}) == [
        "steps[0] (sub).pipeline: name the pipeline to run: pipeline: {name: ...}"
    ]
    stray = {"name": "s", "service": "svc", "pipeline": {"name": "child"}}
    assert _problems(stray) == ["steps[0] (s).pipeline: pipeline belongs to kind: pipeline steps"]
    named = {**_sub(), "service": "svc", "after": []}
    assert _problems(named) == [
        "steps[0] (sub).service: a pipeline step names no service nor topic"
    ]
    reserved = {"name": "s", "service": "pipeline"}
    assert _problems(reserved) == [
        "steps[0] (s).service: 'pipeline' names child runs: use kind: pipeline"
    ]
