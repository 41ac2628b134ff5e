"""Sub-pipelines end to end: a ``kind: pipeline`` step runs a child run of another pipeline
through the real coordinator, scripted worker and broker, and the user sees both runs linked
in ``podium runs show``."""

from __future__ import annotations

import json
import uuid
from typing import Any

from podium.contract import ParentStep
from podium.coordinator.core._children import MAX_CHILD_DEPTH, child_depth
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

RUN_TIMEOUT = 60.0


def sub(child: str, **fields: Any) -> dict[str, Any]:
    """A step ``sub`` after ``prepare`` running ``child`` with params from the parent."""
    mapping = {"uri": "steps.prepare.output.uri", "region": "params.region", "rows": 3}
    return {
        "name": "sub",
        "kind": "pipeline",
        "after": ["prepare"],
        "timeout": "60s",
        "pipeline": {"name": child, "params": mapping},
        **fields,
    }


async def _published(stack: Stack, child_steps: list[dict[str, Any]]) -> tuple[str, str]:
    """A child pipeline taking uri, region and rows, and a parent prepare -> sub -> report."""
    p = stack.prefix
    params = {"uri": {"required": True}, "region": {}, "rows": {"type": "integer"}}
    child = pipeline(p, *child_steps, params=params)
    parent = pipeline(
        p,
        step(p, "prepare", input={"output": {"uri": "s3://in/a.csv"}}),
        sub(child.name),
        step(p, "report", after=["sub"], input={"echo_upstream": True}),
        params={"region": {"default": "eu"}},
    )
    await stack.publish(child, parent)
    return parent.name, child.name


async def _run(stack: Stack, parent: str, until: Any, what: str) -> tuple[str, RunEvents]:
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(parent)
        seen = await watcher.until(lambda s: until(s, run_id), timeout=RUN_TIMEOUT, what=what)
        return run_id, seen


def _detail(event: Any) -> dict[str, Any]:
    detail = json.loads(event.detail_json or "{}")
    return detail if isinstance(detail, dict) else {}


def _both_finished(seen: RunEvents, run_id: str) -> bool:
    child = ParentStep(run_id, "sub", 1).child_run_id
    return bool(seen.terminal(run_id)) and bool(seen.terminal(child))


async def test_a_childs_outputs_reach_the_parents_next_step(stack: Stack) -> None:
    p = stack.prefix
    parent, child_name = await _published(
        stack,
        [
            step(p, "load", input={"echo_upstream": False, "output": {"loaded": 3}}),
            step(p, "check", after=["load"], input={"output": {"ok": True}}),
        ],
    )
    run_id, seen = await _run(stack, parent, _both_finished, "parent and child finish")
    child = f"{run_id}~sub~1"
    assert seen.terminal(run_id) == ["SUCCEEDED"] and seen.terminal(child) == ["SUCCEEDED"]
    [start] = [e for e in seen.of(child) if e.step is None and "params" in _detail(e)]
    detail = _detail(start)
    assert detail["params"] == {"uri": "s3://in/a.csv", "region": "eu", "rows": 3}
    assert start.pipeline == child_name and start.pipeline_version == "1"  # pinned: the latest
    report = seen.step_events(run_id, "report")[-1]
    upstream = json.loads(report.output_json or "null")
    assert upstream == {
        "sub": {
            "run_id": child,
            "status": "succeeded",
            "outputs": {"load": {"loaded": 3}, "check": {"ok": True}},
        }
    }
    shown_parent = stack.cli("runs", "show", run_id)
    assert shown_parent.returncode == 0, shown_parent.stderr
    assert f"child     sub: {child}" in shown_parent.stdout
    as_json = json.loads(stack.cli("runs", "show", run_id, "--json").stdout)
    assert as_json["children"] == {"sub": child} and as_json["parent"] is None
    assert as_json["steps"]["sub"]["child_run_id"] == child
    shown_child = stack.cli("runs", "show", child, "--json")
    assert shown_child.returncode == 0, shown_child.stderr
    assert json.loads(shown_child.stdout)["parent"] == {
        "run_id": run_id,
        "step": "sub",
        "attempt": 1,
    }
    text = stack.cli("runs", "show", child).stdout
    assert f"parent    {run_id} step sub (attempt 1)" in text


async def test_a_failing_child_fails_the_parent_naming_the_child(stack: Stack) -> None:
    p = stack.prefix
    parent, _ = await _published(stack, [step(p, "load", input={"fatal": True})])
    run_id, seen = await _run(stack, parent, _both_finished, "parent and child finish")
    child = f"{run_id}~sub~1"
    assert seen.terminal(child) == ["FAILED"] and seen.terminal(run_id) == ["FAILED"]
    failed = seen.step_events(run_id, "sub")[-1]
    assert str(failed.step_status) == "FAILED" and failed.error is not None
    assert failed.error.error_type == "ChildRunFailed" and not failed.error.retryable
    assert f"child run {child}" in failed.error.error_message
    assert "load cannot succeed" in failed.error.error_message  # the child's own reason
    assert "RUNNING" not in seen.step_statuses(run_id, "report")


async def test_cancelling_the_parent_cancels_the_child(stack: Stack) -> None:
    p = stack.prefix
    parent, _ = await _published(stack, [step(p, "slow", input={"sleep_s": 30})])

    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(parent)
        child = f"{run_id}~sub~1"
        await watcher.until(  # the worker runs the child's step: there is work to stop
            lambda _: (child, "slow", 1) in executions(stack.home),
            timeout=RUN_TIMEOUT,
            what="the child's step runs",
        )
        await stack.cancel_run(run_id)
        await watcher.until(
            lambda s: _both_finished(s, run_id), timeout=RUN_TIMEOUT, what="both cancelled"
        )
        seen = await watcher.until(
            lambda _: (child, "slow", 1) in executions(stack.home, "cancelled.log"),
            timeout=RUN_TIMEOUT,
            what="the worker stops the child's step on its cancel notice",
        )
    assert seen.terminal(run_id) == ["CANCELLED"] and seen.terminal(child) == ["CANCELLED"]
    assert seen.step_statuses(child, "slow")[-1] == "CANCELLED"
    assert "SUCCEEDED" not in seen.step_statuses(child, "slow")


async def test_a_child_of_an_unknown_pipeline_fails_the_step(stack: Stack) -> None:
    p = stack.prefix
    parent = pipeline(
        p,
        step(p, "prepare", input={"output": {"uri": "u"}}),
        sub("no-such-pipe"),
        params={"region": {"default": "eu"}},
    )
    await stack.publish(parent)

    def finished(seen: RunEvents, run_id: str) -> bool:
        return bool(seen.terminal(run_id))

    run_id, seen = await _run(stack, parent.name, finished, "parent finishes")
    failed = seen.step_events(run_id, "sub")[-1]
    assert failed.error is not None and failed.error.error_type == "ChildRunRefused"
    assert "no-such-pipe" in failed.error.error_message


async def test_pipelines_that_run_each_other_stop_at_the_depth_limit(stack: Stack) -> None:
    """A runs B runs A: ``validate`` cannot see the cycle (each file is fine alone), so the
    coordinator refuses the child past ``MAX_CHILD_DEPTH`` and the failure comes back up."""
    p = stack.prefix
    names = (f"p-{uuid.uuid4().hex[:8]}", f"p-{uuid.uuid4().hex[:8]}")
    first, second = (
        pipeline(
            p,
            step(p, "prepare", input={"output": {"uri": "u"}}),
            sub(other, timeout="120s"),
            name=own,
            params={"region": {"default": "eu"}, "uri": {}, "rows": {"type": "integer"}},
        )
        for own, other in (names, names[::-1])
    )
    await stack.publish(first, second)

    def levels(run_id: str) -> list[str]:
        """The run and its children, one per level, down to the deepest allowed."""
        ids = [run_id]
        for _ in range(MAX_CHILD_DEPTH):
            ids.append(ParentStep(ids[-1], "sub", 1).child_run_id)
        return ids

    def all_finished(seen: RunEvents, run_id: str) -> bool:
        return all(seen.terminal(level) for level in levels(run_id))

    run_id, seen = await _run(stack, first.name, all_finished, "every level finishes")
    deepest = levels(run_id)[-1]
    assert child_depth(deepest) == MAX_CHILD_DEPTH
    refused = seen.step_events(deepest, "sub")[-1]
    assert refused.error is not None and refused.error.error_type == "ChildDepthExceeded"
    assert not seen.of(ParentStep(deepest, "sub", 1).child_run_id)  # no level beyond
    assert seen.terminal(run_id) == ["FAILED"]
    top = seen.step_events(run_id, "sub")[-1]
    assert top.error is not None and top.error.error_type == "ChildRunFailed"
