"""``replace_fields``: dataclasses.replace's result, faster, and the states stay frozen."""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import pytest

from podium.coordinator.core._state import (
    RunState,
    RunStatus,
    StepError,
    StepState,
    StepStatus,
    replace_fields,
)

STEP = StepState(StepStatus.FAILED, 2, error=StepError("IOError", "disk full"), completed_seq=1)
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
    assert StepStatus("running") is StepStatus.RUNNING
