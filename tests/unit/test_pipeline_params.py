"""Run params checked against the declared ones, and ``--param k=v`` parsing."""

from __future__ import annotations

from typing import Any

import pytest

from podium.errors import ConfigError
from podium.pipelines import ParamError, Pipeline, parse_cli_params, resolve_params

PIPELINE = Pipeline.model_validate(
    {
        "name": "etl",
        "version": 1,
        "params": {
            "uri": {"type": "string", "required": True},
            "threshold": {"type": "number", "default": 0.5},
            "limit": {"type": "integer"},
            "notify": {"type": "boolean", "default": True},
            "tags": {"type": "array", "default": []},
            "options": {"type": "object"},
        },
        "steps": [{"name": "a", "service": "work"}],
    }
)


def test_defaults_are_applied_and_unset_optionals_left_out() -> None:
    assert resolve_params(PIPELINE, {"uri": "file:///x.csv"}) == {
        "uri": "file:///x.csv",
        "threshold": 0.5,
        "notify": True,
        "tags": [],
    }


def test_given_values_win_and_null_means_default() -> None:
    given = {"uri": "u", "threshold": 2, "notify": None, "limit": 10}
    assert resolve_params(PIPELINE, given) == {
        "uri": "u",
        "threshold": 2,
        "limit": 10,
        "notify": True,
        "tags": [],
    }


def test_unknown_param_is_named() -> None:
    with pytest.raises(ParamError) as caught:
        resolve_params(PIPELINE, {"uri": "u", "treshold": 1})
    assert caught.value.field == "params.treshold"
    assert "declared: uri, threshold, limit, notify, tags, options" in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_missing_required_param_is_named() -> None:
    with pytest.raises(ParamError) as caught:
        resolve_params(PIPELINE, {})
    assert caught.value.field == "params.uri"
    assert "required" in caught.value.reason


@pytest.mark.parametrize(
    ("name", "value", "got"),
    [
        ("limit", True, "boolean true"),
        ("limit", 1.5, "number 1.5"),
        ("threshold", "0.5", 'string "0.5"'),
        ("threshold", float("nan"), "number NaN"),
        ("notify", 1, "integer 1"),
        ("uri", 3, "integer 3"),
        ("tags", {"a": 1}, 'object {"a": 1}'),
        ("options", [1], "array [1]"),
    ],
)
def test_wrong_types_are_refused(name: str, value: Any, got: str) -> None:
    with pytest.raises(ParamError) as caught:
        resolve_params(PIPELINE, {"uri": "u", name: value})
    assert caught.value.field == f"params.{name}"
    assert caught.value.reason == f"expected {PIPELINE.params[name].type}, got {got}"


def test_integers_are_numbers() -> None:
    assert resolve_params(PIPELINE, {"uri": "u", "threshold": 3})["threshold"] == 3


def test_cli_params_are_typed_by_declaration() -> None:
    pairs = ["uri=file:///a=b.csv", "limit=5", "threshold=1e3", "notify=no"]
    pairs += ['tags=["x"]', 'options={"k": 1}']
    assert parse_cli_params(PIPELINE, pairs) == {
        "uri": "file:///a=b.csv",
        "limit": 5,
        "threshold": 1000,
        "notify": False,
        "tags": ["x"],
        "options": {"k": 1},
    }


def test_cli_number_keeps_fractions() -> None:
    assert parse_cli_params(PIPELINE, ["threshold=0.25"]) == {"threshold": 0.25}


@pytest.mark.parametrize(
    ("pair", "field"),
    [
        ("limit=five", "params.limit"),
        ("limit=1.5", "params.limit"),
        ("notify=maybe", "params.notify"),
        ("threshold=inf", "params.threshold"),
        ("tags={}", "params.tags"),
        ("options=[not json", "params.options"),
        ("nope=1", "params.nope"),
        ("no-equals-sign", "--param"),
    ],
)
def test_bad_cli_params_name_the_field(pair: str, field: str) -> None:
    with pytest.raises(ParamError) as caught:
        parse_cli_params(PIPELINE, [pair])
    assert caught.value.field == field
