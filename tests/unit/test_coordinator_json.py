"""The coordinator's JSON text is exactly ``json.dumps``'s."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium._speedups.json_text import json_text, json_text_or_str

SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
KEYS = st.text() | st.integers() | st.floats(allow_nan=False) | st.booleans() | st.none()
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(KEYS, inner, max_size=4)
    ),
    max_leaves=20,
)
OTHER = st.sampled_from([datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), Decimal("1.5"), {1, 2}])


@given(JSON_VALUES)
def test_json_text_is_json_dumps(value: Any) -> None:
    assert json_text(value) == json.dumps(value)


@given(st.recursive(SCALARS | OTHER, lambda inner: st.dictionaries(st.text(), inner), max_leaves=8))
def test_json_text_or_str_is_json_dumps_with_default_str(value: Any) -> None:
    assert json_text_or_str(value) == json.dumps(value, default=str)


@pytest.mark.parametrize("value", [object(), {"at": datetime(2025, 1, 1, tzinfo=UTC)}])
def test_a_value_json_cannot_hold_is_a_type_error_as_with_json_dumps(value: Any) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_text(value)
    assert json_text({"ok": 1}) == '{"ok": 1}'  # a failed call leaves nothing behind
