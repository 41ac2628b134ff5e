"""Evaluating ``when`` conditions: truth tables, missing values and ``default``, type
mismatches."""

from __future__ import annotations

from typing import Any

import pytest

from podium.pipelines import evaluate_condition
from podium.pipelines._errors import MissingValueError
from podium.pipelines._expr import parse_condition

PARAMS: dict[str, Any] = {
    "notify": True,
    "threshold": 0.5,
    "limit": 10,
    "name": "sales.csv",
    "formats": ["csv", "tsv"],
    "options": {"mode": "fast", "levels": [1, 2]},
    "empty": "",
}
STEPS: dict[str, Any] = {
    "load": {"status": "SUCCEEDED", "output": {"rows_loaded": 42, "table": "sales"}},
    "profile": {"status": "skipped", "output": None},
    "broken": "not a mapping",
}


def holds(text: str) -> bool:
    return evaluate_condition(text, PARAMS, STEPS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true and true", True),
        ("true and false", False),
        ("false or true", True),
        ("false or false", False),
        ("not false", True),
        ("not not true", True),
        ("true and true and false", False),
        ("false or false or 1", True),
    ],
)
def test_logic(text: str, expected: bool) -> None:
    assert holds(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params.notify == true", True),
        ("params.notify", True),
        ("params.limit == 10.0", True),
        ("params.limit != 10", False),
        ("params.limit > 9 and params.limit <= 10", True),
        ("params.threshold < 1", True),
        ("params.name >= 'sales'", True),
        ("'.csv' in params.name", True),
        ("'csv' in params.formats", True),
        ("'xml' not in params.formats", True),
        ("'mode' in params.options", True),
        ("params.options.mode == 'fast'", True),
        ("params.options.levels[1] == 2", True),
        ("params.options.levels == [1, 2]", True),
        ("params.options == params.options", True),
        ("params.empty", False),
        ("steps.load.status == 'succeeded'", True),
        ("steps.load.output.rows_loaded > 0", True),
        ("steps.load.output.table in ['sales', 'costs']", True),
        ("steps.profile.status == 'skipped'", True),
    ],
)
def test_comparisons(text: str, expected: bool) -> None:
    assert holds(text) is expected


def test_a_param_the_run_was_not_given_is_null() -> None:
    assert holds("params.nope == null") is True


@pytest.mark.parametrize(
    ("text", "reference", "why"),
    [
        ("params.options.nope == null", "params.options.nope", "has no field 'nope'"),
        ("params.options.levels[9] == null", "params.options.levels[9]", "has no index 9"),
        ("params.name.first == null", "params.name.first", "params.name is a string"),
        ("params.nope.x", "params.nope.x", "params.nope is null"),
        ("steps.nope.status == null", "steps.nope.status", "step 'nope' has not finished"),
        ("steps.nope.output.rows > 0", "steps.nope.output.rows", "'nope' has not finished"),
        ("steps.load.output.rows > 0", "steps.load.output.rows", "rows_loaded, table"),
        ("steps.profile.output.rows == null", "steps.profile.output.rows", "is null"),
        ("steps.broken.output.x == null", "steps.broken.output.x", "has not finished"),
        ("steps.broken.status == null", "steps.broken.status", "has not finished"),
    ],
)
def test_a_missing_value_is_an_error_naming_it(text: str, reference: str, why: str) -> None:
    with pytest.raises(MissingValueError) as caught:
        holds(text)
    assert caught.value.reference == reference
    assert why in str(caught.value)
    assert f"default({reference}, VALUE)" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "default(steps.load.output.rows, 0) == 0",
        "default(steps.load.output.rows_loaded, 0) == 42",
        "default(steps.profile.output.rows, 7) == 7",  # skipped: its output is null
        "default(steps.nope.status, 'pending') == 'pending'",
        "default(params.nope, [1, 2]) == [1, 2]",
        "default(params.options.levels[9], params.limit) == 10",
        "default(params.empty, 'x') == ''",  # only missing or null is replaced
    ],
)
def test_default_gives_the_value_to_use_when_missing_or_null(text: str) -> None:
    assert holds(text) is True


def test_and_or_stop_before_reading_what_they_do_not_need() -> None:
    assert holds("steps.profile.status == 'succeeded' and steps.profile.output.rows > 0") is False
    assert holds("steps.profile.status == 'skipped' or steps.profile.output.rows > 0") is True


@pytest.mark.parametrize(
    "text",
    [
        "params.notify == 1",
        "params.limit == '10'",
        "params.limit > '9'",
        "params.nope > 0",
        "params.nope < 0",
        "null < 1",
        "true > false",
        "1 in 'abc'",
        "1 in params.options",
        "'a' in 5",
        "[1] < [2]",
    ],
)
def test_type_mismatches_are_false(text: str) -> None:
    assert holds(text) is False


def test_not_in_is_the_negation_of_in_even_for_mismatches() -> None:
    assert holds("1 not in 'abc'") is True


def test_truthiness_of_values() -> None:
    for falsy in ("null", "0", "0.0", "''", "[]", "params.nope", "steps.profile.output"):
        assert holds(falsy) is False, falsy
    for truthy in ("1", "'x'", "[0]", "params.options", "steps.load.output"):
        assert holds(truthy) is True, truthy


def test_a_parsed_condition_can_be_evaluated_many_times() -> None:
    condition = parse_condition("params.notify == true and steps.load.output.rows_loaded > 0")
    assert condition.evaluate(PARAMS, STEPS) is True
    assert evaluate_condition(condition, {"notify": False}, STEPS) is False
    with pytest.raises(MissingValueError, match="step 'load' has not finished"):
        evaluate_condition(condition, PARAMS, {})
