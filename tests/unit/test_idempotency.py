"""One idempotency key, one set of params (pure)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import RunStatus
from podium.runs import RunView, idempotency_conflict, same_params

PARAMS = st.dictionaries(
    st.text(max_size=5), st.none() | st.booleans() | st.integers() | st.text(max_size=5)
)


@given(PARAMS)
def test_the_same_params_in_any_key_order_are_the_same(params: dict[str, Any]) -> None:
    assert same_params(params, dict(reversed(list(params.items()))))


@given(PARAMS, PARAMS)
def test_a_conflict_exactly_when_a_run_exists_under_the_key_with_other_params(
    stored: dict[str, Any], given_params: dict[str, Any]
) -> None:
    view = RunView("r-1", "p", 1, RunStatus.SUCCEEDED, params=stored)
    conflict = idempotency_conflict(view, "k", given_params)
    differ = json.dumps(stored, sort_keys=True) != json.dumps(given_params, sort_keys=True)
    assert (conflict is not None) == differ  # as on the wire: true and 1 differ
    assert idempotency_conflict(None, "k", given_params) is None
    assert idempotency_conflict(view, None, given_params) is None
    if conflict is not None:
        assert (conflict.run_id, conflict.stored, conflict.given) == ("r-1", stored, given_params)
