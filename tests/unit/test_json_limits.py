"""Bounded JSON reading: what a consumer of any record can parse without stopping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium._json_limits import (
    INT_TOO_LONG,
    MAX_JSON_DEPTH,
    TOO_DEEP,
    JsonLimitError,
    depth_over,
    read_json,
)

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def nested(levels: int) -> Any:
    value: Any = 0
    for i in range(levels - 1 if levels else 0):
        value = [value] if i % 2 else {"k": value}
    return value if levels else 0


@given(JSON_VALUES)
def test_shallow_json_reads_as_json_loads_does(value: Any) -> None:
    text = json.dumps(value)
    assert read_json(text) == json.loads(text)
    assert read_json(text.encode()) == json.loads(text)


@given(st.integers(min_value=0, max_value=MAX_JSON_DEPTH + 40))
def test_depth_is_measured_exactly(levels: int) -> None:
    value = [nested(levels)] if levels else 0
    depth = levels if levels else 0
    assert depth_over(value, MAX_JSON_DEPTH) == (depth > MAX_JSON_DEPTH)


@pytest.mark.parametrize(
    "text",
    [
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),  # parses, but too deep
        "[" * 100_000 + "]" * 100_000,  # past the recursion limit
        '{"a":' * 5_000 + "1" + "}" * 5_000,
        "[" * 100_000,  # too deep before it is found to be cut
    ],
)
def test_deep_json_is_a_limit_error_not_a_recursion_error(text: str) -> None:
    with pytest.raises(JsonLimitError) as caught:
        read_json(text)
    assert caught.value.detail == TOO_DEEP and str(MAX_JSON_DEPTH) in str(caught.value)


def test_json_at_the_depth_limit_is_read() -> None:
    text = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert not depth_over(read_json(text), MAX_JSON_DEPTH)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    text = json.dumps({"text": "[" * 10_000})
    assert read_json(text) == {"text": "[" * 10_000}


def test_a_10000_digit_integer_is_a_limit_error() -> None:
    with pytest.raises(JsonLimitError) as caught:
        read_json('{"n": ' + "9" * 10_000 + "}")
    assert caught.value.detail == INT_TOO_LONG and "digits" in str(caught.value)


def test_invalid_json_is_still_a_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        read_json("{not json")
