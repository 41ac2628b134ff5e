"""Evaluating ``when`` conditions: truth tables, missing values, type mismatches."""

from __future__ import annotations

from typing import Any

import pytest

from podium.pipelines import evaluate_condition
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


@pytest.mark.parametrize(
    "text",
    [
        "params.nope == null",
        "params.options.nope == null",
        "params.options.levels[9] == null",
        "params.name.first == null",
        "steps.nope.status == null",
        "steps.profile.output.rows == null",
        "steps.broken.output.x == null",
        "steps.broken.status == null",
    ],
)
def test_missing_values_are_null(text: str) -> None:
    assert holds(text) is True


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
        "steps.nope.output.rows > 0",
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
    assert evaluate_condition(condition, PARAMS, {}) is False
