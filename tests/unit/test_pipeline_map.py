"""Validation of map steps (``for_each``): what ``podium pipelines validate`` refuses, with
the field and what to do, and the model's own bounds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from podium.cli import podium
from podium.pipelines import ItemFailure, Pipeline, content_hash, validate_pipeline

A = {"name": "a", "service": "svc"}
WRITE = "write steps.<dependency>.output.<path> or params.<name>"


def _pipeline(*steps: dict[str, Any], **fields: Any) -> Pipeline:
    definition = {"name": "bulk", "version": 1, "steps": list(steps), **fields}
    return Pipeline.model_validate(definition)


def _problems(*steps: dict[str, Any], **fields: Any) -> list[str]:
    return [f"{p.location}: {p.message}" for p in validate_pipeline(_pipeline(*steps, **fields))]


def _each(**fields: Any) -> dict[str, Any]:
    return {"name": "each", "service": "svc", "after": ["a"], **fields}


def test_a_map_step_over_a_dependency_or_a_param_is_valid_with_defaults() -> None:
    over_output = _each(for_each="steps.a.output.files")
    assert _problems(A, over_output) == []
    step = _pipeline(A, over_output).step("each")
    assert (step.max_parallel, step.on_item_failure) == (10, ItemFailure.FAIL)
    over_param = _each(for_each="params.regions", max_parallel=50, on_item_failure="continue")
    assert _problems(A, over_param, params={"regions": {"type": "array"}}) == []


@pytest.mark.parametrize(
    ("for_each", "message"),
    [
        ("steps.b.output.files", "'b' is not in after: a step sees only its dependencies' outputs"),
        ("steps.a.files", "write steps.<step>.output.<path>"),
        ("params.nope", "'params.nope' reads an undeclared param (declared: none)"),
        ("input.files", f"{WRITE}; got 'input.files'"),
        ("files", f"{WRITE}; got 'files'"),
    ],
)
def test_a_bad_for_each_is_refused_naming_the_field(for_each: str, message: str) -> None:
    b = {"name": "b", "service": "svc"}
    assert _problems(A, b, _each(for_each=for_each)) == [f"steps[2] (each).for_each: {message}"]


def test_for_each_on_a_waiting_or_pipeline_step_is_refused() -> None:
    approval = {**_each(for_each="steps.a.output.files"), "kind": "approval"}
    approval.pop("service")
    assert _problems(A, approval) == [
        "steps[1] (each).for_each: for_each maps service steps; kind: approval is not supported"
    ]


def test_map_fields_without_for_each_and_item_keys_in_the_input_are_refused() -> None:
    assert _problems(A, _each(max_parallel=5, on_item_failure="continue")) == [
        "steps[1] (each).max_parallel: max_parallel belongs to map steps: add for_each",
        "steps[1] (each).on_item_failure: on_item_failure belongs to map steps: add for_each",
    ]
    step = _each(for_each="steps.a.output.files", input={"item": 1, "mode": "x"})
    assert _problems(A, step) == [
        "steps[1] (each).input.item: 'item' is the item's own key in a map step's input: rename it"
    ]


@pytest.mark.parametrize("value", [0, -1, 1001])
def test_max_parallel_out_of_range_is_refused_by_the_model(value: int) -> None:
    with pytest.raises(ValidationError, match="max_parallel"):
        _pipeline(A, _each(for_each="steps.a.output.files", max_parallel=value))


def test_a_pipeline_without_map_steps_keeps_its_content_hash() -> None:
    """Defaults are omitted from the canonical JSON: published pipelines hash the same."""
    plain = _pipeline(A)
    assert "for_each" not in plain.model_dump(exclude_defaults=True)["steps"][0]
    assert content_hash(plain) == content_hash(_pipeline({**A, "max_parallel": 10}))


def test_validate_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bulk.yaml"
    path.write_text(
        "name: bulk\nversion: 1\nsteps:\n  - {name: a, service: svc}\n"
        "  - {name: each, service: svc, for_each: steps.b.output.files, after: [a]}\n"
    )
    result = CliRunner().invoke(podium, ["pipelines", "validate", str(path)])
    assert result.exit_code == 1
    assert "steps[1] (each).for_each" in result.output and "'b' is not in after" in result.output
    assert str(path) in result.output
