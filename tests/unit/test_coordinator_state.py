"""``replace_fields``: dataclasses.replace's result, faster, and the states stay frozen."""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

import pytest

from podium.contract import RunStatus, StepError, StepStatus
from podium.coordinator.core._state import RunState, StepState, replace_fields

BOOM = StepError(error_type="IOError", error_message="disk full", retryable=True)
STEP = StepState(StepStatus.FAILED, 2, error=BOOM, completed_seq=1)
RUN = RunState(
    "r1", "etl", 3, RunStatus.RUNNING, 10, 20,
    params={"day": 1}, trace={"traceparent": "00-ab-cd-01"}, steps={"load": STEP},
    compensation_queue=("load",), ignored={"stale-attempt": 1},
)  # fmt: skip
CHANGES: list[tuple[Any, dict[str, Any]]] = [
    (RUN, {}),
    (RUN, {"updated_at_ms": 30}),
    (RUN, {"status": RunStatus.FAILED, "reason": "boom", "finished_at_ms": 30}),
    (RUN, {"steps": {"load": StepState()}, "compensation_queue": ()}),
    (STEP, {"status": StepStatus.RUNNING, "attempt": 3, "deadline_ms": 5, "error": None}),
]


@pytest.mark.parametrize(("state", "changes"), CHANGES)
def test_it_builds_what_dataclasses_replace_builds(state: Any, changes: dict[str, Any]) -> None:
    fast = replace_fields(state, **changes)
    slow = dataclasses.replace(state, **changes)
    assert (fast, repr(fast), type(fast)) == (slow, repr(slow), type(slow))
    assert fast is not state


def test_the_copy_is_frozen_and_the_original_unchanged() -> None:
    copy = replace_fields(RUN, updated_at_ms=99)
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.updated_at_ms = 1  # type: ignore[misc]
    assert RUN.updated_at_ms == 20


def test_an_unknown_field_is_a_type_error_as_with_replace() -> None:
    with pytest.raises(TypeError, match=r"no field \['status_'\]"):
        replace_fields(RUN, status_=RunStatus.FAILED)


def test_the_copy_round_trips_through_the_changelog_format() -> None:
    copy = replace_fields(RUN, steps={"load": replace_fields(STEP, attempt=3)})
    assert RunState.from_json_bytes(copy.to_json_bytes()) == copy
    assert copy.to_json_bytes() == dataclasses.replace(copy).to_json_bytes()


@pytest.mark.parametrize("member", [*RunStatus, *StepStatus])
def test_a_status_value_is_the_enum_value(member: RunStatus | StepStatus) -> None:
    enum_value = Enum.__dict__["value"].__get__(member, type(member))  # the descriptor replaced
    assert member.value == enum_value == str(member)
    assert type(member.value) is str


def test_the_fast_value_is_no_member() -> None:
    assert "value" not in RunStatus.__members__
    assert "value" not in StepStatus.__members__
    assert StepStatus("RUNNING") is StepStatus.RUNNING


def test_state_an_older_coordinator_stored_restores() -> None:
    """The changelog held lowercase statuses, ``waiting_retry`` and ``{type, message}``
    errors before the state used the wire's enums and record."""
    old = {
        "run_id": "r1",
        "pipeline": "etl",
        "version": 2,
        "status": "running",
        "created_at_ms": 1,
        "updated_at_ms": 2,
        "steps": {
            "load": {"status": "waiting_retry", "attempt": 1, "retry_at_ms": 9,
                     "error": {"type": "IOError", "message": "disk full"}},
            "done": {"status": "succeeded", "attempt": 1, "output": {"rows": 3}},
        },
    }  # fmt: skip
    state = RunState.from_json_bytes(json.dumps(old).encode())
    assert state.status is RunStatus.RUNNING
    load = state.steps["load"]
    assert load.status is StepStatus.RETRY_WAIT and load.timer_ms() == 9
    assert load.error == StepError(error_type="IOError", error_message="disk full", retryable=False)
    assert state.steps["done"].status is StepStatus.SUCCEEDED
    stored = json.loads(state.to_json_bytes())
    assert stored["steps"]["load"]["status"] == "RETRY_WAIT"  # written back in the new form
    assert stored["steps"]["load"]["error"]["error_type"] == "IOError"


def test_a_status_that_never_was_is_refused() -> None:
    with pytest.raises(ValueError):
        StepStatus("retrying")
    with pytest.raises(ValueError):
        RunStatus("Running")  # neither the symbol nor an old stored name
