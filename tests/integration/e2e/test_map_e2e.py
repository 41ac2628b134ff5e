"""Map steps (``for_each``) end to end: a step lists items, a map step runs one request per
item on the scripted worker through the real coordinator and broker, and the step after it
sees every output in item order; the continue policy reports the failed items; a larger map
finishes with every outcome counted once (its outputs in pages on the map pages topic)."""

from __future__ import annotations

import json
from typing import Any

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
