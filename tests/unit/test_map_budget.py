"""A map of 10,000 items through the coordinator's own handler (the adapter, its codec and
its size budget, no Kafka): the run's state and every message it writes stay inside
``PODIUM_LIMITS__MAX_MESSAGE_BYTES``, every item's outcome is counted once, and the step
after the map gets a reference to the pages of outputs, which hold every output in order.
"""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime
from typing import Any

import pytest

from podium import contract as wire
from podium.codec import Codec
from podium.contract import map_item_of
from podium.coordinator import RunState
from podium.coordinator._budget import message_size
from podium.coordinator._handle import Handler
from podium.coordinator._timers import TimerIndex
from podium.runs._map_pages import merge_pages
from podium.settings import LimitsSettings, TopicNames
from podium.streams import Outgoing
from tests.unit.test_machine_support import make_pipeline, step

ITEMS = 10_000
TOPICS = TopicNames()
CODEC = Codec()


def _pipeline() -> Any:
    each = step("each", "list", for_each="steps.list.output.files", max_parallel=100)
    return make_pipeline(step("list"), each, step("after", "each"), name="bulk")


def _completed(request: wire.StepRequested, output: Any) -> bytes:
    event = wire.StepCompleted(
        run_id=request.run_id,
        step=request.step,
        attempt=request.attempt,
        output_json=json.dumps(output),
        completed_at=datetime.now(UTC),
    )
    return CODEC.encode_event(event)


def _start() -> bytes:
    event = wire.RunRequested(
        run_id="run-1",
        pipeline="bulk",
        trigger=wire.Trigger(source=wire.TriggerSource.API),
        requested_at=datetime.now(UTC),
    )
    return CODEC.encode_event(event)


def test_a_map_of_10000_items_keeps_its_state_and_every_message_in_the_budget() -> None:
    limits = LimitsSettings()
    pipeline = _pipeline()
    handler = Handler(CODEC, TOPICS, lambda name, version: pipeline, TimerIndex(), limits=limits)
    table: dict[str, RunState] = {}
    pending: deque[wire.StepRequested] = deque()
    pages: dict[str, list[Any]] = {}
    biggest = {"message": 0, "state": 0}

    def apply(topic: str, value: bytes) -> None:
        for message in handler.handle(topic, value, [], table):
            biggest["message"] = max(biggest["message"], message_size(message))
            _collect(message, pending, pages)
        state = len(table["run-1"].to_json_bytes())
        biggest["state"] = max(biggest["state"], state)

    apply(TOPICS.runs, _start())
    files = [f"f{i:05}" for i in range(ITEMS)]
    answered: set[int] = set()
    while pending:
        request = pending.popleft()
        if request.step == "list":
            apply(TOPICS.step_results, _completed(request, {"files": files}))
        elif (item := map_item_of(request.step)) is not None:
            index = item[1]
            assert (
                index not in answered
                and json.loads(request.input_json)["input"]["item"] == (files[index])
            )
            answered.add(index)
            apply(TOPICS.step_results, _completed(request, {"rows": index, "uri": files[index]}))
            if index % 7 == 0:  # a redelivered result: ignored, never counted twice
                apply(TOPICS.step_results, _completed(request, {"rows": -1}))
        else:
            assert request.step == "after"
            after = json.loads(request.input_json)["upstream"]["each"]
            break
    assert len(answered) == ITEMS
    assert after["items"] == ITEMS and after["succeeded"] == ITEMS and after["failed"] == []
    assert after["pages"]["count"] == len(pages) and "outputs" not in after
    numbered = {_page_number(key): entries for key, entries in pages.items()}
    outputs = merge_pages(numbered, ITEMS, after["pages"]["count"])
    assert outputs == [{"rows": index, "uri": files[index]} for index in range(ITEMS)]
    assert sum(len(entries) for entries in pages.values()) == ITEMS  # each output once
    assert biggest["message"] <= limits.max_message_bytes
    assert biggest["state"] <= limits.max_message_bytes // 4  # compact, whatever the count
    each = table["run-1"].steps["each"]
    assert each.map is not None and each.map.succeeded == ITEMS
    assert table["run-1"].ignored["item-finished"] == len(range(0, ITEMS, 7))


def _collect(
    message: Outgoing, pending: deque[wire.StepRequested], pages: dict[str, list[Any]]
) -> None:
    if message.topic == TOPICS.map_pages:
        assert message.key is not None and message.value is not None
        page = json.loads(message.value)
        pages[message.key.decode()] = page["outputs"]
    elif message.topic.startswith("podium.steps."):
        decoded = CODEC.decode_event(message.value)
        if isinstance(decoded, wire.StepRequested):
            pending.append(decoded)


def _page_number(key: str) -> int:
    return int(key.rsplit("/", 1)[1])


def test_merging_pages_orders_outputs_and_leaves_failed_items_none() -> None:
    pages = {0: [[2, "c"], [0, "a"]], 1: [[3, "d"]]}
    assert merge_pages(pages, 5, 2) == ["a", None, "c", "d", None]


def test_a_missing_page_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match=r"map pages \[1\] of 2 are not on the topic"):
        merge_pages({0: []}, 3, 2)
