"""Pipelines run end to end: a real coordinator and step service over the test broker.

Each test publishes its own pipeline, requests runs on the stack's runs topic
(the public contract any producer can use), and reads what a user would see:
the RunStatusChanged events of podium.run.events.
"""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer

from podium.contract import RunStatus, RunStatusChanged
from podium.runs import RunView
from podium.runs._view import apply_event
from podium.streams._store import changelog_topic
from podium.testing import wait_until_sync
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import TRACEPARENT, EventWatcher, Stack, run_once

RUN_TIMEOUT = 60.0


async def run_to_end(stack: Stack, watcher: EventWatcher, run_id: str) -> None:
    await watcher.until(
        lambda seen: seen.terminal(run_id), timeout=RUN_TIMEOUT, what=f"{run_id} finishes"
    )


async def test_fan_out_and_fan_in(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "extract"),
        step(p, "left", after=["extract"]),
        step(p, "right", after=["extract"]),
        step(p, "join", after=["left", "right"]),
    )
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    order = [(e.step, str(e.step_status)) for e in seen.of(run_id) if e.step]
    join_requested = order.index(("join", "RUNNING"))
    assert order.index(("left", "SUCCEEDED")) < join_requested
    assert order.index(("right", "SUCCEEDED")) < join_requested
    left, right = order.index(("left", "RUNNING")), order.index(("right", "RUNNING"))
    assert max(left, right) < order.index(("left", "SUCCEEDED"))  # both out before either ends


async def test_trace_context_travels_to_every_event(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "one"), step(p, "two", after=["one"]))
    run_id, seen = await run_once(stack, definition)
    traces = {
        dict(headers).get("traceparent")
        for event, headers in zip(seen.events, seen.headers, strict=True)
        if event.run_id == run_id
    }
    assert traces == {TRACEPARENT.encode()}


async def test_a_false_condition_skips_a_step_and_dependants_still_run(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "check", input={"output": {"rows": 0}}),
        step(p, "load", after=["check"], when="steps.check.output.rows > 0"),
        step(p, "report", after=["load"]),
        params={"unused": {"type": "integer", "default": 1}},
    )
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert seen.step_statuses(run_id, "load") == ["SKIPPED"]
    assert seen.step_statuses(run_id, "report")[-1] == "SUCCEEDED"
    assert not [row for row in executions(stack.home) if row[:2] == (run_id, "load")]


async def test_trigger_rules_and_a_condition_on_a_missing_output_field(stack: Stack) -> None:
    """``strict`` (all_success) is skipped after its skipped dependency while ``lenient``
    (the default, all_done) runs; ``notify`` reads a field ``check`` did not return and fails
    (on_failure: continue, so the run still succeeds), unless the condition gives a default."""
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "check", input={"output": {"rows": 0}}),
        step(p, "load", after=["check"], when="steps.check.output.rows > 0"),
        step(p, "strict", after=["load"], trigger_rule="all_success"),
        step(p, "lenient", after=["load"]),
        step(
            p,
            "notify",
            after=["check"],
            when="steps.check.output.rows_loaded > 0",
            on_failure="continue",
        ),
        step(p, "notify_safe", after=["check"], when="default(steps.check.output.n, 1) > 0"),
    )
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert seen.step_statuses(run_id, "load") == ["SKIPPED"]
    [strict] = seen.step_events(run_id, "strict")
    assert str(strict.step_status) == "SKIPPED"
    assert json.loads(strict.detail_json or "{}") == {
        "trigger_rule": "all_success",
        "reason": "trigger_rule all_success: dependency 'load' was skipped",
    }
    assert seen.step_statuses(run_id, "lenient")[-1] == "SUCCEEDED"
    assert seen.step_statuses(run_id, "notify_safe")[-1] == "SUCCEEDED"
    [notify] = seen.step_events(run_id, "notify")
    assert str(notify.step_status) == "FAILED" and notify.error is not None
    assert notify.error.error_type == "ConditionError" and not notify.error.retryable
    assert "steps.check.output.rows_loaded is missing" in notify.error.error_message
    ran = {row[1] for row in executions(stack.home) if row[0] == run_id}
    assert ran == {"check", "lenient", "notify_safe"}


async def test_a_retry_then_succeeds(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "flaky", input={"fail_attempts": 2}))
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    flaky = seen.step_events(run_id, "flaky")
    assert [str(e.step_status) for e in flaky].count("RETRY_WAIT") == 2
    assert flaky[-1].attempt == 3 and str(flaky[-1].step_status) == "SUCCEEDED"


async def test_exhausted_retries_fail_the_run_with_the_steps_error(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p, step(p, "doomed", input={"fail_attempts": 99}), step(p, "never", after=["doomed"])
    )
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["FAILED"]
    failed = seen.step_events(run_id, "doomed")[-1]
    assert str(failed.step_status) == "FAILED" and failed.attempt == 3
    assert failed.error is not None and "failed on attempt 3" in failed.error.error_message
    assert "RUNNING" not in seen.step_statuses(run_id, "never")


async def test_a_non_retryable_error_fails_at_once(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "fatal", input={"fatal": True}))
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["FAILED"]
    assert seen.step_events(run_id, "fatal")[-1].attempt == 1


async def test_a_step_that_misses_its_deadline_is_retried(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "slow", input={"sleep_first_s": 4}, timeout="1s"))
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    slow = seen.step_events(run_id, "slow")
    timed_out = [e for e in slow if e.error is not None]
    assert timed_out and "StepTimeout" in timed_out[0].error.error_type  # type: ignore[union-attr]
    assert slow[-1].attempt == 2
    # the timed-out attempt was told to stop: it never ran on beside its retry
    stopped = wait_until_sync(
        lambda: (run_id, "slow", 1) in executions(stack.home, "cancelled.log") or None,
        timeout=10,
        what="attempt 1 cancelled at its service",
    )
    assert stopped


async def test_cancel_stops_a_run_and_its_late_results_are_ignored(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p, step(p, "long", input={"sleep_s": 3}), step(p, "after", after=["long"])
    )
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await watcher.until(
            lambda seen: "RUNNING" in seen.step_statuses(run_id, "long"),
            timeout=RUN_TIMEOUT,
            what="the long step starts",
        )
        await stack.cancel_run(run_id)
        await run_to_end(stack, watcher, run_id)
        await watcher.until(
            lambda _: any(row[:2] == (run_id, "long") for row in executions(stack.home)),
            timeout=RUN_TIMEOUT,
            what="the long step ran",
        )
        await watcher.until(
            lambda _: (run_id, "long", 1) in executions(stack.home, "cancelled.log"),
            timeout=RUN_TIMEOUT,
            what="the worker cancelled the long step on the cancel notice",
        )
        seen = await watcher.poll()
    assert seen.terminal(run_id) == ["CANCELLED"]
    assert "SUCCEEDED" not in seen.step_statuses(run_id, "long")
    assert seen.step_statuses(run_id, "after") in ([], ["CANCELLED"])


async def test_compensation_undoes_completed_steps_newest_first(stack: Stack) -> None:
    p = stack.prefix
    undo = {"service": "worker", "topic": f"{p}.steps.worker"}
    definition = pipeline(
        p,
        step(p, "reserve", compensation=undo),
        step(p, "charge", after=["reserve"], compensation=undo),
        step(p, "ship", after=["charge"], input={"fatal": True}, on_failure="compensate"),
    )
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["COMPENSATED"]
    undone = [
        e.step
        for e in seen.of(run_id)
        if e.step and e.step.startswith("compensate:") and str(e.step_status) == "SUCCEEDED"
    ]
    assert undone == ["compensate:charge", "compensate:reserve"]


async def test_a_duplicate_trigger_starts_one_run(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "once"))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await stack.request_run(definition.name, run_id=run_id)
        await run_to_end(stack, watcher, run_id)
        marker = await stack.request_run(definition.name)  # a later run, to know the dup was read
        await run_to_end(stack, watcher, marker)
        seen = watcher.seen
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    starts = [e for e in seen.of(run_id) if e.step is None and str(e.status) == "RUNNING"]
    assert len(starts) == 1
    assert [row for row in executions(stack.home) if row[0] == run_id] == [(run_id, "once", 1)]


async def test_heartbeats_keep_a_long_step_past_its_timeout(stack: Stack) -> None:
    p = stack.prefix
    long_step = step(p, "long", input={"heartbeats": 6, "heartbeat_every_s": 0.5}, timeout="1500ms")
    definition = pipeline(p, long_step)
    run_id, seen = await run_once(stack, definition)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    long_events = seen.step_events(run_id, "long")
    assert long_events[-1].attempt == 1  # 3 s of work, a 1.5 s timeout, never timed out
    assert not [e for e in long_events if e.error is not None]


async def test_a_heartbeat_asking_for_more_time_keeps_the_attempt(stack: Stack) -> None:
    """``ctx.heartbeat(extend=4)`` on a step with a 1 s timeout: 2.5 s of work, one
    attempt, no timeout (the deadline moved 4 s, not the 1 s timeout)."""
    p = stack.prefix
    long_step = step(p, "long", input={"extend_s": 4, "work_s": 2.5}, timeout="1s")
    run_id, seen = await run_once(stack, pipeline(p, long_step))
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    events = seen.step_events(run_id, "long")
    assert events[-1].attempt == 1 and not [e for e in events if e.error is not None]


async def test_retry_after_sets_the_wait_before_the_next_attempt(stack: Stack) -> None:
    """``StepError(retry_after=2)`` waits 2 s before attempt 2, where the policy's backoff
    is 100 ms."""
    p = stack.prefix
    limited = step(p, "limited", input={"retry_after_s": 2})
    run_id, seen = await run_once(stack, pipeline(p, limited))
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    events = seen.step_events(run_id, "limited")
    (waiting,) = [e for e in events if str(e.step_status) == "RETRY_WAIT"]
    retry_at_ms = json.loads(waiting.detail_json or "{}")["retry_at_ms"]
    changed_at_ms = int(waiting.changed_at.timestamp() * 1000)
    assert 1_900 <= retry_at_ms - changed_at_ms <= 2_100
    second = [e for e in events if e.attempt == 2 and str(e.step_status) == "RUNNING"]
    assert second and (second[0].changed_at - waiting.changed_at).total_seconds() >= 1.9


async def test_a_finished_run_is_forgotten_after_its_retention(own_stack: Stack) -> None:
    """Past ``finished_run_retention_s`` the coordinator forgets a finished run: a tombstone
    on its changelog (so compaction drops it, and a restart does not read it back), and
    the same run id then starts a new run instead of being ignored as a duplicate."""
    stack = own_stack
    stack.extra_env.update(
        PODIUM_COORDINATOR__FINISHED_RUN_RETENTION_S="1",
        PODIUM_COORDINATOR__EVICTION_INTERVAL_S="0.2",
    )
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    p = stack.prefix
    definition = pipeline(p, step(p, "once"))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await run_to_end(stack, watcher, run_id)
        changelog = changelog_topic(stack.settings.coordinator.app_id, "runs")
        await wait_for_tombstone(stack, changelog, run_id, timeout=RUN_TIMEOUT)
        wait_until_sync(  # logged once the tombstone's transaction committed
            lambda: "retention: evicted" in stack.log("coordinator"),
            timeout=10,
            what="the coordinator logs the eviction",
        )

        first = fold(watcher.seen.of(run_id))
        await stack.request_run(definition.name, run_id=run_id)
        seen = await watcher.until(
            lambda seen: len(seen.terminal(run_id)) == 2,
            timeout=RUN_TIMEOUT,
            what=f"{run_id} runs again once forgotten",
        )
    assert [row for row in executions(stack.home) if row[0] == run_id] == [(run_id, "once", 1)] * 2
    second = fold(seen.of(run_id))  # what the API's read model shows: the new run
    assert first.finished_at is not None and second.finished_at is not None
    assert second.created_at > first.finished_at
    assert second.status is RunStatus.SUCCEEDED
    assert len(second.steps["once"].attempts) == 1


def fold(events: list[RunStatusChanged]) -> RunView:
    """The read model's view of one run from its events."""
    views: dict[str, RunView] = {}
    for event in events:
        views = apply_event(views, event)
    (view,) = views.values()
    return view


async def wait_for_tombstone(stack: Stack, topic: str, key: str, *, timeout: float) -> None:
    """Read ``topic`` from its start until a tombstone (null value) for ``key`` shows up."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                if any(r.key == key.encode() and r.value is None for r in records):
                    return
        raise AssertionError(f"no tombstone for {key} on {topic} within {timeout}s")
    finally:
        await consumer.stop()
