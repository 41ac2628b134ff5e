"""A map step's progress as the run views show it: the machine's run events, through the
coordinator's encoding, folded by the read model, rendered by ``podium runs show`` and the
run JSON (done, failed and total items; with ``continue``, which items failed)."""

from __future__ import annotations

from podium.codec import Codec
from podium.contract import RunStatusChanged, StepStatus
from podium.coordinator._translate import run_event_message
from podium.dlq._entry import DlqEntry
from podium.dlq._replay import _of_finished_run
from podium.runs import RunView, run_details, view_json
from podium.runs._view import apply_to_view
from tests.unit.test_machine_map import failed, ok, started
from tests.unit.test_machine_support import Driver, run_events

CODEC = Codec()


def _view(driver: Driver) -> RunView:
    view = None
    for decision in driver.decisions:
        for command in run_events(decision):
            message = run_event_message(CODEC, command, "events", "demo", 1, {})
            view = apply_to_view(view, CODEC.decode_event(message.value, RunStatusChanged))
    assert view is not None
    return view


def test_a_running_map_shows_its_progress() -> None:
    driver = started(["a", "b", "c", "d"], max_parallel=2, on_item_failure="continue")
    ok(driver, 0, "A")
    failed(driver, 1)
    view = _view(driver)
    each = view.steps["each"]
    assert each.status is StepStatus.RUNNING
    assert each.map is not None
    assert each.map["items"] == 4 and each.map["failed"] == [1]
    assert each.map["for_each"] == "steps.list.output.files" and each.map["max_parallel"] == 2
    assert "map       each: 2/4 items done, 1 succeeded, 1 failed (items 1)" in run_details(view)


def test_a_finished_map_shows_its_counts_and_failed_items_in_the_json() -> None:
    driver = started(["a", "b", "c"], max_parallel=3, on_item_failure="continue")
    ok(driver, 0, "A")
    failed(driver, 1)
    ok(driver, 2, "C")
    view = _view(driver)
    as_json = view_json(view)["steps"]["each"]
    assert as_json["status"] == "SUCCEEDED"
    assert as_json["map"]["succeeded"] == 2 and as_json["map"]["failed"] == [1]
    assert as_json["output"]["outputs"] == ["A", None, "C"]
    assert "map       each: 3/3 items done, 2 succeeded, 1 failed (items 1)" in run_details(view)
    assert view_json(view)["steps"]["list"]["map"] is None


def test_a_dead_letter_of_a_finished_runs_map_item_says_to_rerun_its_map_step() -> None:
    entry = DlqEntry(
        "podium.steps.svc.dlq", 0, 7, "handler", "boom", None, None, None,
        "run-1", "each[17]", None, 0, None, None, "",
    )  # fmt: skip
    skip = _of_finished_run(entry, {"run-1": "FAILED"})
    assert skip is not None and "use `podium runs retry run-1 --from each`" in skip.why
