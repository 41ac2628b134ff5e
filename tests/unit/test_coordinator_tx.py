"""``Tx.put_step``: the decision's state changes, the states it did not build do not."""

from __future__ import annotations

from podium.contract import RunStatus, StepStatus
from podium.coordinator.core._state import RunState, StepState, replace_fields
from podium.coordinator.core._tx import Tx
from tests.unit.test_machine_support import make_pipeline, step

PIPELINE = make_pipeline(step("a"), step("b"), step("c"))
RUNNING = StepState(StepStatus.RUNNING, attempt=1)


def _given() -> RunState:
    steps = {name: StepState() for name in "abc"}
    return RunState("r1", PIPELINE.name, PIPELINE.version, RunStatus.RUNNING, 1, 1, steps=steps)


def test_puts_reach_the_new_state_and_leave_the_given_one_alone() -> None:
    given = _given()
    tx = Tx(PIPELINE, 5, given)
    tx.put_step("a", RUNNING)
    tx.put_step("b", RUNNING)
    assert tx.state.steps == {"a": RUNNING, "b": RUNNING, "c": StepState()}
    assert given.steps == {name: StepState() for name in "abc"}


def test_a_state_set_from_outside_is_not_changed_by_later_puts() -> None:
    tx = Tx(PIPELINE, 5, _given())
    tx.put_step("a", RUNNING)
    elsewhere = {**tx.state.steps}
    tx.state = replace_fields(tx.state, steps=elsewhere)
    tx.put_step("b", RUNNING)
    assert elsewhere["b"] == StepState()
    assert tx.state.steps["b"] == RUNNING and tx.state.steps["a"] == RUNNING


def test_a_new_step_is_added_last() -> None:
    tx = Tx(PIPELINE, 5, _given())
    tx.put_step("a", RUNNING)
    tx.put_step("compensate:a", RUNNING)
    assert list(tx.state.steps) == ["a", "b", "c", "compensate:a"]
