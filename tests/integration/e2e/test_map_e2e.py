"""Map steps (``for_each``) end to end: a step lists items, a map step runs one request per
item on the scripted worker through the real coordinator and broker, and the step after it
sees every output in item order; the continue policy reports the failed items; a larger map
finishes with every outcome counted once (its outputs in pages on the map pages topic)."""

from __future__ import annotations

import json
from typing import Any

from podium import contract as wire
from podium.runs import read_map_outputs
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

RUN_TIMEOUT = 90.0


def _map_pipeline(stack: Stack, files: list[str], **each: Any) -> Any:
    p = stack.prefix
    each_input = {"echo_item": True, **each.pop("input", {})}
    return pipeline(
        p,
        step(p, "list", input={"output": {"files": files}}),
        step(
            p, "each", after=["list"], for_each="steps.list.output.files", input=each_input, **each
        ),
        step(p, "report", after=["each"], input={"echo_upstream": True}),
    )


async def _run(stack: Stack, name: str) -> tuple[str, RunEvents]:
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(name)
        seen = await watcher.until(
            lambda s: bool(s.terminal(run_id)), timeout=RUN_TIMEOUT, what="the run finishes"
        )
        return run_id, seen


def _report_input(seen: RunEvents, run_id: str) -> Any:
    [report] = [e for e in seen.step_events(run_id, "report") if e.output_json]
    return json.loads(report.output_json or "null")["each"]


async def test_the_step_after_a_map_sees_every_output_in_item_order(stack: Stack) -> None:
    files = [f"s3://in/{n}.csv" for n in "abcdefgh"]
    published = _map_pipeline(stack, files, max_parallel=3)
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    each = _report_input(seen, run_id)
    assert each["outputs"] == [{"item": f, "index": i} for i, f in enumerate(files)]
    assert (each["items"], each["succeeded"], each["failed"]) == (8, 8, [])
    ran = sorted(s for run, s, _ in executions(stack.home) if run == run_id and "[" in s)
    assert ran == sorted(f"each[{i}]" for i in range(8))  # each item once
    shown = stack.cli("runs", "show", run_id).stdout
    assert "map       each: 8/8 items done, 8 succeeded, 0 failed" in shown
    as_json = json.loads(stack.cli("runs", "show", run_id, "--json").stdout)
    assert as_json["steps"]["each"]["map"]["succeeded"] == 8


async def test_the_continue_policy_reports_the_failed_items(stack: Stack) -> None:
    files = [f"f{i}" for i in range(6)]
    published = _map_pipeline(
        stack, files, max_parallel=2, on_item_failure="continue", input={"fail_items": [1, 4]}
    )
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    each = _report_input(seen, run_id)
    assert each["failed"] == [1, 4] and each["failed_count"] == 2 and each["succeeded"] == 4
    assert [o and o["index"] for o in each["outputs"]] == [0, None, 2, 3, None, 5]
    shown = stack.cli("runs", "show", run_id).stdout
    assert "map       each: 6/6 items done, 4 succeeded, 2 failed (items 1, 4)" in shown


async def test_the_fail_policy_fails_the_run_at_the_first_failed_item(stack: Stack) -> None:
    published = _map_pipeline(stack, ["a", "b", "c"], max_parallel=1, input={"fail_items": [1]})
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["FAILED"]
    failed = seen.step_events(run_id, "each")[-1]
    assert failed.step_status == "FAILED" and failed.error is not None
    assert failed.error.error_type == "MapItemFailed"
    assert (
        failed.error.error_message == "item 1 of 3 failed: NonRetryableError: item 1 cannot succeed"
    )
    assert seen.step_statuses(run_id, "report") == ["CANCELLED"]  # never requested


async def test_a_map_of_1000_items_counts_every_outcome_once(stack: Stack) -> None:
    """Outputs of about 110 bytes each: over a page, so they come back in pages."""
    files = [f"s3://bucket/{'x' * 80}/{i:04}.csv" for i in range(1000)]
    published = _map_pipeline(stack, files, max_parallel=50)
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    each = _report_input(seen, run_id)
    assert (each["items"], each["succeeded"], each["failed_count"]) == (1000, 1000, 0)
    assert "outputs" not in each and each["pages"]["key_prefix"] == f"{run_id}/each/1/"
    assert each["pages"]["count"] >= 2
    outputs = await read_map_outputs(stack.settings, each)
    assert outputs == [{"item": f, "index": i} for i, f in enumerate(files)]
    ran = [s for run, s, _ in executions(stack.home) if run == run_id and "[" in s]
    assert len(ran) == len(set(ran)) == 1000  # each item ran once


def _progress(seen: RunEvents, run_id: str) -> dict[str, Any]:
    """The map step's latest progress, as its run events said."""
    found: dict[str, Any] = {}
    for event in seen.step_events(run_id, "each"):
        detail = json.loads(event.detail_json or "{}")
        if isinstance(detail, dict) and isinstance(detail.get("map"), dict):
            found = {**found, **detail["map"]}
    return found


def _run_level(seen: RunEvents, run_id: str, key: str) -> list[int]:
    """``changed_at`` (ms) of the run's run-level events with ``key`` in their detail."""
    return [
        int(e.changed_at.timestamp() * 1000)
        for e in seen.of(run_id)
        if e.step is None and key in json.loads(e.detail_json or "{}")
    ]


async def test_no_item_is_requested_while_the_run_is_paused(stack: Stack) -> None:
    """Two items in flight when the run is paused finish and are counted; the next items
    are requested only after the resume (their requests' ``requested_at`` say when)."""
    files = [f"f{i}" for i in range(6)]
    published = _map_pipeline(stack, files, max_parallel=2, input={"sleep_s": 4})
    await stack.publish(published)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(published.name)
        await watcher.until(
            lambda s: "RUNNING" in s.step_statuses(run_id, "each"), timeout=RUN_TIMEOUT,
            what="the map starts",
        )  # fmt: skip
        paused = stack.cli("runs", "pause", run_id, "--reason", "maintenance")
        assert paused.returncode == 0, paused.stderr
        seen = await watcher.until(
            lambda s: _progress(s, run_id).get("succeeded") == 2, timeout=RUN_TIMEOUT,
            what="the two items in flight finish while paused",
        )  # fmt: skip
        assert str(seen.run_status(run_id)) == "PAUSED"
        resumed = stack.cli("runs", "resume", run_id)
        assert resumed.returncode == 0, resumed.stderr
        seen = await watcher.until(
            lambda s: bool(s.terminal(run_id)), timeout=RUN_TIMEOUT, what="the run finishes"
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    [paused_at], [resumed_at] = (
        _run_level(seen, run_id, "paused"),
        _run_level(seen, run_id, "resumed"),
    )
    requested = []
    for record in await stack.records(stack.step_topic("worker")):
        event = stack.codec.decode_event(record.value)
        if isinstance(event, wire.StepRequested) and event.run_id == run_id and "[" in event.step:
            requested.append((event.step, int(event.requested_at.timestamp() * 1000)))
    assert sorted(step for step, _ in requested) == [f"each[{i}]" for i in range(6)]
    assert not [step for step, at in requested if paused_at < at < resumed_at]
    assert [step for step, at in requested if at <= paused_at] == ["each[0]", "each[1]"]
    assert _report_input(seen, run_id)["outputs"] == [
        {"item": f, "index": i} for i, f in enumerate(files)
    ]


async def test_a_rerun_of_a_failed_map_runs_every_item_again(stack: Stack) -> None:
    """Every item fails its first attempt (not retried): the map fails the run. The re-run
    asks every item again as attempt 2, and the run succeeds with all outputs in order."""
    files = ["a", "b", "c", "d"]
    published = _map_pipeline(
        stack, files, max_parallel=2, retry={"max_attempts": 1}, input={"fail_attempts": 1}
    )
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["FAILED"]
    retried = stack.cli("runs", "retry", run_id, "--reason", "fixed")
    assert retried.returncode == 0, retried.stderr
    async with EventWatcher(stack) as watcher:
        seen = await watcher.until(
            lambda s: len(s.terminal(run_id)) >= 2, timeout=RUN_TIMEOUT, what="the re-run ends"
        )
    assert seen.terminal(run_id) == ["FAILED", "SUCCEEDED"]
    each = _report_input(seen, run_id)
    assert each["outputs"] == [{"item": f, "index": i} for i, f in enumerate(files)]
    second = sorted(s for run, s, a in executions(stack.home) if run == run_id and a == 2)
    assert second == ["each[0]", "each[1]", "each[2]", "each[3]"]


async def test_an_item_that_outlives_its_timeout_is_asked_again_alone(stack: Stack) -> None:
    """Each item's first attempt sleeps past the step's timeout: the coordinator times out
    each item on its own and asks it again (attempt 2), which answers at once; the late first
    answers change nothing, and the outputs are still in item order."""
    files = ["a", "b", "c"]
    published = _map_pipeline(
        stack, files, max_parallel=3, timeout="1s", input={"sleep_first_s": 3}
    )
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert _report_input(seen, run_id)["outputs"] == [
        {"item": f, "index": i} for i, f in enumerate(files)
    ]
    attempts = sorted((s, a) for run, s, a in executions(stack.home) if run == run_id and "[" in s)
    assert attempts == sorted((f"each[{i}]", a) for i in range(3) for a in (1, 2))


async def test_an_item_that_heartbeats_outlives_its_timeout_without_a_retry(stack: Stack) -> None:
    """Each item works for about 3 s under a 2 s timeout, heartbeating every 0.5 s: no item
    is timed out, each runs once."""
    published = _map_pipeline(
        stack,
        ["a", "b"],
        max_parallel=2,
        timeout="2s",
        input={"heartbeats": 6, "heartbeat_every_s": 0.5},
    )
    await stack.publish(published)
    run_id, seen = await _run(stack, published.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    attempts = sorted((s, a) for run, s, a in executions(stack.home) if run == run_id and "[" in s)
    assert attempts == [("each[0]", 1), ("each[1]", 1)]
