"""Map steps (``for_each``) in the state machine: examples, and properties over messy
delivery (duplicated, reordered, stale and late results; failures, timeouts, pauses,
resumes and cancels): no item requested while paused, never more than ``max_parallel``
items in flight, every item's outcome counted once, the outputs collected in item order,
and the step after the map never requested before the map step has finished.
"""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from hypothesis import event as note_stat
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.contract import RunStatus, StepStatus, map_item_name, map_item_of
from podium.coordinator.core import (
    CancelRun,
    Decision,
    Event,
    NotifyCancel,
    PauseRun,
    RequestStep,
    ResumeRun,
    RetryRun,
    StepFailedEvent,
    StepHeartbeatEvent,
    StepSucceeded,
    TimerFired,
)
from podium.coordinator.core._commands import WriteMapPage
from podium.coordinator.core._map import MAP_ITEM_FAILED, MAP_ITEMS_ERROR, PAGE_BYTES
from podium.pipelines import Pipeline
from podium.runs._map_pages import merge_pages
from tests.unit.test_machine_support import (
    Driver,
    cancels,
    make_pipeline,
    requests,
    run_events,
    step,
)

RUN = "run-1"


def map_pipeline(**fields: Any) -> Pipeline:
    """``list -> each (for_each over list's files) -> after``."""
    fields.setdefault("for_each", "steps.list.output.files")
    each = step("each", "list", input={"mode": "fast"}, **fields)
    return make_pipeline(step("list"), each, step("after", "each"))


def started(items: list[Any], **fields: Any) -> Driver:
    driver = Driver(map_pipeline(**fields))
    driver.start()
    driver.succeed("list", {"files": items})
    return driver


def item_requests(decision: Decision) -> list[tuple[int, int]]:
    """(index, attempt) of each item requested."""
    found = []
    for request in requests(decision):
        item = map_item_of(request.step)
        if item is not None:
            found.append((item[1], request.attempt))
    return found


def ok(driver: Driver, index: int, output: Any = None, attempt: int = 1) -> Decision:
    return driver.send(StepSucceeded(RUN, map_item_name("each", index), attempt, output))


def failed(driver: Driver, index: int, *, retryable: bool = False, attempt: int = 1) -> Decision:
    name = map_item_name("each", index)
    return driver.send(StepFailedEvent(RUN, name, attempt, "IOError", "disk full", retryable))


# -- examples ---------------------------------------------------------------------------------


def test_items_are_requested_in_order_up_to_max_parallel_with_the_item_in_their_input() -> None:
    driver = started(["a", "b", "c", "d"], max_parallel=2)
    first = requests(driver.last)
    assert [(r.step, r.attempt) for r in first] == [("each[0]", 1), ("each[1]", 1)]
    assert first[0].input == {"input": {"mode": "fast", "item": "a", "index": 0}, "upstream": {}}
    assert first[0].params == {}
    assert first[0].topic == "podium.steps.svc-each"
    assert item_requests(ok(driver, 1, "B")) == [(2, 1)]
    assert driver.run.steps["each"].status is StepStatus.RUNNING


def test_outputs_are_collected_in_item_order_for_the_step_after() -> None:
    driver = started(["a", "b", "c"], max_parallel=3)
    for index in (2, 0, 1):
        ok(driver, index, {"n": index})
    output = driver.run.steps["each"].output
    assert output == {
        "items": 3,
        "succeeded": 3,
        "failed_count": 0,
        "failed": [],
        "outputs": [{"n": 0}, {"n": 1}, {"n": 2}],
    }
    (after,) = requests(driver.last)
    assert after.step == "after" and after.input["upstream"] == {"each": output}


def test_a_param_list_is_mapped_too() -> None:
    pipeline = make_pipeline(step("each", for_each="params.regions"))
    driver = Driver(pipeline)
    driver.start({"regions": ["eu", "us"], "day": "mon"})
    assert [r.input["input"]["item"] for r in requests(driver.last)] == ["eu", "us"]
    assert all(r.params == {"day": "mon"} for r in requests(driver.last))  # not the list


def test_an_empty_list_succeeds_at_once_with_empty_outputs() -> None:
    driver = started([])
    each = driver.run.steps["each"]
    assert each.status is StepStatus.SUCCEEDED and each.output["outputs"] == []
    assert [r.step for r in requests(driver.last)] == ["after"]


def test_a_value_that_is_not_a_list_fails_the_step_saying_so() -> None:
    driver = Driver(map_pipeline())
    driver.start()
    driver.succeed("list", {"files": {"a": 1}})
    each = driver.run.steps["each"]
    assert each.status is StepStatus.FAILED and each.error is not None
    assert each.error.error_type == MAP_ITEMS_ERROR and not each.error.retryable
    assert "steps.list.output.files is not a list: it names a dict" in each.error.error_message
    assert driver.run.status is RunStatus.FAILED


def test_under_fail_the_first_item_failing_fails_the_step_and_stops_the_others() -> None:
    driver = started(["a", "b", "c", "d"], max_parallel=3)
    decision = failed(driver, 1)
    assert {(c.step, c.attempt) for c in cancels(decision)} == {("each[0]", 1), ("each[2]", 1)}
    each = driver.run.steps["each"]
    assert each.status is StepStatus.FAILED and each.error is not None
    assert each.error.error_type == MAP_ITEM_FAILED
    assert each.error.error_message == "item 1 of 4 failed: IOError: disk full"
    assert driver.run.status is RunStatus.FAILED
    assert ok(driver, 0).ignored == "run-finished"


def test_under_continue_the_failed_items_are_reported_and_the_step_succeeds() -> None:
    driver = started(["a", "b", "c"], max_parallel=3, on_item_failure="continue")
    ok(driver, 0, "A")
    failed(driver, 1)
    ok(driver, 2, "C")
    each = driver.run.steps["each"]
    assert each.status is StepStatus.SUCCEEDED
    assert each.output["failed"] == [1] and each.output["failed_count"] == 1
    assert each.output["outputs"] == ["A", None, "C"]
    progress = [e.detail["map"] for e in run_events(driver.decisions[-2]) if "map" in e.detail]
    assert progress == [{"items": 3, "succeeded": 1, "failed_count": 1, "failed": [1]}]


def test_an_item_is_retried_under_the_steps_retry_policy() -> None:
    retry = {"max_attempts": 2, "initial_backoff": 1}
    driver = started(["a"], retry=retry)
    decision = failed(driver, 0, retryable=True)
    assert item_requests(decision) == [] and driver.run.steps["each"].deadline_ms is not None
    retry_at = driver.run.steps["each"].map.items[0].retry_at_ms  # type: ignore[union-attr]
    assert retry_at is not None
    assert item_requests(driver.tick(retry_at)) == [(0, 2)]
    assert ok(driver, 0, attempt=1).ignored == "stale-attempt"
    ok(driver, 0, "A", attempt=2)
    assert driver.run.steps["each"].output["outputs"] == ["A"]


def test_an_item_past_its_timeout_is_told_to_stop_and_retried() -> None:
    driver = started(["a", "b"], timeout=10, retry={"max_attempts": 2, "initial_backoff": 1})
    ok(driver, 1, "B")
    decision = driver.tick(1_000 + 10_000)
    assert [(c.step, c.attempt) for c in cancels(decision)] == [("each[0]", 1)]
    item = driver.run.steps["each"].map.items[0]  # type: ignore[union-attr]
    assert item.retry_at_ms is not None
    assert item_requests(driver.tick(item.retry_at_ms)) == [(0, 2)]


def test_a_heartbeat_moves_the_items_deadline() -> None:
    driver = started(["a"], timeout=10)
    driver.send(StepHeartbeatEvent(RUN, "each[0]", 1), at_ms=9_000)
    assert driver.run.steps["each"].deadline_ms == 19_000
    assert driver.tick(12_000).ignored == "not-due"


def test_duplicates_and_unknown_items_are_ignored_and_counted() -> None:
    driver = started(["a", "b", "c"], max_parallel=1)
    ok(driver, 0, "A")
    assert ok(driver, 0, "again").ignored == "item-finished"
    assert ok(driver, 2, "early").ignored == "unknown-item"
    assert ok(driver, 1, attempt=2).ignored == "unknown-attempt"
    assert driver.send(StepSucceeded(RUN, "nope[1]", 1)).ignored == "unknown-step"
    assert driver.send(StepSucceeded(RUN, "each", 1)).ignored == "map-step"  # not an item
    assert driver.run.steps["each"].map.succeeded == 1  # type: ignore[union-attr]


def test_no_item_is_requested_while_paused_and_resume_fills_the_slots() -> None:
    driver = started(["a", "b", "c"], max_parallel=1)
    driver.send(PauseRun(RUN, requested_at_ms=5))
    assert item_requests(ok(driver, 0, "A")) == []
    assert driver.run.steps["each"].map.succeeded == 1  # type: ignore[union-attr]
    assert item_requests(driver.send(ResumeRun(RUN, requested_at_ms=6))) == [(1, 1)]


def test_cancel_stops_the_items_in_flight_and_ignores_their_results() -> None:
    driver = started(["a", "b"], max_parallel=2)
    decision = driver.cancel()
    assert {c.step for c in cancels(decision)} == {"each[0]", "each[1]"}
    assert driver.run.steps["each"].status is StepStatus.CANCELLED
    assert ok(driver, 0).ignored == "run-finished"


def test_a_rerun_runs_every_item_again_and_a_late_result_of_the_first_try_is_stale() -> None:
    driver = started(["a", "b"], max_parallel=2)
    ok(driver, 0, "A")
    failed(driver, 1)
    decision = driver.send(RetryRun(RUN, requested_at_ms=10))
    assert item_requests(decision) == [(0, 2), (1, 2)]
    assert ok(driver, 0, "old", attempt=1).ignored == "stale-attempt"
    ok(driver, 0, "A2", attempt=2)
    ok(driver, 1, "B2", attempt=2)
    assert driver.run.steps["each"].output["outputs"] == ["A2", "B2"]
    assert driver.run.status is RunStatus.RUNNING  # "after" runs now


def test_large_outputs_go_out_in_pages_and_the_output_names_them() -> None:
    driver = started(list(range(10)), max_parallel=10)
    pages: list[WriteMapPage] = []
    for index in range(10):
        decision = ok(driver, index, "x" * (PAGE_BYTES // 4))
        pages += [c for c in decision.commands if isinstance(c, WriteMapPage)]
    output = driver.run.steps["each"].output
    started_at = driver.run.steps["each"].started_at_ms
    reference = {"key_prefix": f"{RUN}/each/1/", "count": len(pages), "written_from_ms": started_at}
    assert output["pages"] == reference and started_at is not None
    assert [p.key for p in pages] == [f"{RUN}/each/1/{n}" for n in range(len(pages))]
    collected = [index for page in pages for index, _ in page.outputs]
    assert sorted(collected) == list(range(10)) and "outputs" not in output


def test_map_names_round_trip_and_others_are_not_items() -> None:
    assert map_item_of(map_item_name("each", 17)) == ("each", 17)
    for name in ("each", "each[]", "[3]", "each[x]", "compensate:each", "each[٣]"):
        assert map_item_of(name) is None


# -- properties -------------------------------------------------------------------------------


@st.composite
def map_cases(draw: st.DrawFn) -> tuple[Pipeline, int]:
    fields = {
        "max_parallel": draw(st.integers(1, 4)),
        "on_item_failure": draw(st.sampled_from(["fail", "continue"])),
        "timeout": 10,
        "retry": {"max_attempts": draw(st.integers(1, 3)), "initial_backoff": 1},
    }
    return map_pipeline(**fields), draw(st.integers(0, 12))


class MapWorld:
    """A driver plus the item requests and pages it has seen, to answer them in any order
    and to read the outputs back."""

    def __init__(self, pipeline: Pipeline, count: int) -> None:
        self.driver = Driver(pipeline)
        self.count = count
        self.sent: list[RequestStep] = []
        self.pages: dict[str, WriteMapPage] = {}
        self.max_parallel = pipeline.step("each").max_parallel

    def feed(self, event: Event, at_ms: int | None = None) -> Decision:
        before = self.driver.state
        paused_before = before is not None and before.status is RunStatus.PAUSED
        decision = self.driver.send(event, at_ms)
        self.check(decision, paused_before and not isinstance(event, ResumeRun))
        return decision

    def check(self, decision: Decision, was_paused: bool) -> None:
        run = self.driver.run
        if was_paused and run.status is RunStatus.PAUSED:
            assert not requests(decision), "a request while paused"
        for request in requests(decision):
            if request.step == "after":
                assert run.steps["each"].status is StepStatus.SUCCEEDED
        self.sent += [r for r in requests(decision) if map_item_of(r.step)]
        for page in (c for c in decision.commands if isinstance(c, WriteMapPage)):
            assert page.key not in self.pages, "a page written twice"
            self.pages[page.key] = page
        each = run.steps["each"]
        if each.map is not None:
            assert len(each.map.items) <= self.max_parallel
            assert each.map.finished + len(each.map.items) == each.map.next_index
        notices = [(c.step, c.attempt) for c in decision.commands if isinstance(c, NotifyCancel)]
        assert len(set(notices)) == len(notices)

    def outputs(self, output: dict[str, Any]) -> list[Any]:
        """The map's outputs in item order, inline or merged from the pages written."""
        if "outputs" in output:
            return list(output["outputs"])
        prefix = output["pages"]["key_prefix"]
        pages = {
            page.page: [list(entry) for entry in page.outputs]
            for key, page in self.pages.items()
            if key.startswith(prefix)
        }
        return merge_pages(pages, output["items"], output["pages"]["count"])


def answer(data: st.DataObject, request: RequestStep) -> Event:
    kind = data.draw(st.sampled_from(["ok", "ok", "ok", "fail", "fail-for-good", "beat"]))
    index = request.input["input"]["index"]
    if kind == "ok":
        return StepSucceeded(RUN, request.step, request.attempt, {"i": index})
    if kind == "beat":
        return StepHeartbeatEvent(RUN, request.step, request.attempt)
    return StepFailedEvent(RUN, request.step, request.attempt, "E", "x", kind == "fail")


@settings(max_examples=300, deadline=None)
@given(case=map_cases(), page_bytes=st.sampled_from([20, 60, PAGE_BYTES]), data=st.data())
def test_map_invariants_hold_under_messy_delivery(
    case: tuple[Pipeline, int], page_bytes: int, data: st.DataObject
) -> None:
    """Small pages (20, 60 bytes) make outputs go out in pages after a few items."""
    pipeline, count = case
    world = MapWorld(pipeline, count)
    with patch("podium.coordinator.core._map.PAGE_BYTES", page_bytes):
        world.feed(world.driver.start_event())
        world.feed(StepSucceeded(RUN, "list", 1, {"files": [f"f{i}" for i in range(count)]}))
        messy(world, data)
        note_stat(f"after the messy part: run {world.driver.run.status}")
        finish_well(world)
        note_stat(f"map {world.driver.run.steps['each'].status}, pages: {bool(world.pages)}")
        if world.driver.run.status.is_terminal and not _map_succeeded(world):
            world.feed(RetryRun(RUN, requested_at_ms=20_000))  # every item again
            finish_well(world)
            assert _map_succeeded(world)
            note_stat("re-run after a bad end")


def _map_succeeded(world: MapWorld) -> bool:
    return world.driver.run.steps["each"].status is StepStatus.SUCCEEDED


def messy(world: MapWorld, data: st.DataObject) -> None:
    """Answers to any request seen (duplicates and stale ones too), timers, pauses,
    resumes and cancels, in any order."""
    control, cancel_at = 10, data.draw(st.integers(0, 240))  # often never
    for number in range(data.draw(st.integers(0, 80))):
        if world.driver.run.status.is_terminal:
            return
        moves = ["answer"] * 6 + ["tick", "tick", "pause", "resume"]
        move = "cancel" if number == cancel_at else data.draw(st.sampled_from(moves))
        if move == "answer" and world.sent:
            world.feed(answer(data, data.draw(st.sampled_from(world.sent))))
        elif move == "tick":
            world.feed(TimerFired(RUN), world.driver.now_ms + data.draw(st.integers(0, 12_000)))
        elif move == "cancel":
            world.feed(CancelRun(RUN, "enough"))
        elif move in ("pause", "resume"):
            control += 1
            event = PauseRun if move == "pause" else ResumeRun
            world.feed(event(RUN, requested_at_ms=control))


def finish_well(world: MapWorld) -> None:
    """Resume, then answer every item in flight well: the map ends and counts each item
    once, its outputs in item order; a late result then counts for nothing."""
    driver = world.driver
    if driver.run.status is RunStatus.PAUSED:
        world.feed(ResumeRun(RUN, requested_at_ms=10_000))
    for _ in range(200):
        each = driver.run.steps["each"]
        if driver.run.status.is_terminal or each.status is not StepStatus.RUNNING:
            break
        assert each.map is not None
        due = [i for i in each.map.items.values() if i.retry_at_ms is not None]
        if due and len(due) == len(each.map.items):
            world.feed(TimerFired(RUN), max(i.retry_at_ms or 0 for i in due))
            continue
        index, item = next((i, a) for i, a in each.map.items.items() if a.deadline_ms)
        world.feed(StepSucceeded(RUN, map_item_name("each", index), item.attempt, {"i": index}))
    each = driver.run.steps["each"]
    assert each.status.is_finished
    progress = each.map
    assert progress is not None
    if each.status is StepStatus.SUCCEEDED:
        assert progress.succeeded + progress.failed_count == world.count
        outputs = world.outputs(each.output)
        assert len(outputs) == world.count
        for index, value in enumerate(outputs):
            assert value == (None if index in progress.failed else {"i": index})
    else:
        assert progress.succeeded + progress.failed_count <= world.count
    for request in world.sent[-5:]:  # a late result of a finished map counts for nothing
        late = world.feed(StepSucceeded(RUN, request.step, request.attempt, {"late": True}))
        assert late.ignored is not None


def test_a_rerun_on_a_version_where_the_step_maps_nothing_runs_it_as_one_step() -> None:
    driver = started(["a", "b"], max_parallel=2)
    failed(driver, 0)
    plain = make_pipeline(step("list"), step("each", "list"), step("after", "each"), version=2)
    driver.pipeline = plain
    decision = driver.send(RetryRun(RUN, requested_at_ms=10))
    assert [(r.step, r.attempt) for r in requests(decision)] == [("each", 2)]
    assert driver.run.steps["each"].map is None
    driver.succeed("each", {"done": True})
    assert driver.run.steps["each"].status is StepStatus.SUCCEEDED
