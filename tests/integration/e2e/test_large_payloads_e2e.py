"""Large payloads never take a process down and never lose a run's events.

Before the size budget, a 600 KB output (under the 1 MiB message limit) made the
coordinator exit with ``MessageSizeTooLargeError`` on every restart, the changelog
holding the run as succeeded while ``podium.run.events`` never got its end; a 1.5 MB
output could not be sent by the SDK at all, so the step just timed out. Now every run
below ends, every transition it went through is on the run events topic, and the
coordinator and the worker are still running.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from podium import contract as wire
from podium.settings import DEFAULT_MAX_OUTPUT_BYTES
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import PARTITIONS, EventWatcher, RunEvents, Stack
from tests.integration.e2e.test_coordinator_start import create_topic

TIMEOUT = 90.0
WORKER = "tests.integration.e2e.services:worker"


async def run_to_end(stack: Stack, definition_name: str, **params: object) -> tuple[str, RunEvents]:
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition_name, params)
        seen = await watcher.until(
            lambda seen: seen.terminal(run_id), timeout=TIMEOUT, what="the run ends"
        )
    return run_id, seen


def assert_alive(stack: Stack) -> None:
    dead = {name: p.returncode for name, p in stack.processes.items() if p.poll() is not None}
    assert not dead, f"processes exited: {dead}"


def step_error(seen: RunEvents, run_id: str, name: str) -> wire.StepError:
    [failed] = [e for e in seen.step_events(run_id, name) if e.step_status == "FAILED"]
    assert failed.error is not None
    return failed.error


async def test_a_100_kb_output_succeeds_and_travels_on_the_run_events(stack: Stack) -> None:
    p = stack.prefix
    big = step(p, "big", input={"output_bytes": 100_000})
    definition = pipeline(p, big, step(p, "after", after=["big"]))
    await stack.publish(definition)
    run_id, seen = await run_to_end(stack, definition.name)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    [done] = [e for e in seen.step_events(run_id, "big") if e.step_status == "SUCCEEDED"]
    assert done.output_json is not None and len(done.output_json) > 100_000
    assert seen.step_statuses(run_id, "after")[-1] == "SUCCEEDED"
    assert_alive(stack)


async def test_outputs_over_the_limit_fail_their_step_clearly(stack: Stack) -> None:
    """600 KB and 1.5 MB: the SDK refuses them (non-retryable), saying size, limit and
    what to do; the run fails at once instead of timing out."""
    p = stack.prefix
    for size in (600_000, 1_500_000):
        definition = pipeline(p, step(p, "huge", input={"output_bytes": size}))
        await stack.publish(definition)
        run_id, seen = await run_to_end(stack, definition.name)
        assert seen.terminal(run_id) == ["FAILED"]
        assert seen.step_statuses(run_id, "huge") == ["RUNNING", "FAILED"]  # not retried
        assert not step_error(seen, run_id, "huge").retryable
        error = step_error(seen, run_id, "huge")
        assert error.error_type == "OutputTooLarge"
        assert f"{DEFAULT_MAX_OUTPUT_BYTES}-byte limit" in error.error_message
        assert "return a reference" in error.error_message
    assert_alive(stack)


async def test_a_600_kb_output_from_a_service_without_the_sdk_fails_its_step(
    stack: Stack,
) -> None:
    """The coordinator holds the same budget against a result produced by any client."""
    p = stack.prefix
    topic = f"{p}.steps.elsewhere-{uuid.uuid4().hex[:6]}"  # no service reads it
    await create_topic(stack, topic, PARTITIONS)
    definition = pipeline(p, {**step(p, "foreign"), "service": "elsewhere", "topic": topic})
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await watcher.until(
            lambda seen: "RUNNING" in seen.step_statuses(run_id, "foreign"),
            timeout=TIMEOUT,
            what="the step is requested",
        )
        result = wire.StepCompleted(
            run_id=run_id,
            step="foreign",
            attempt=1,
            output_json=json.dumps({"blob": "y" * 600_000}),
            completed_at=datetime.now(UTC),
        )
        value = stack.codec.encode_event(result)
        await stack._produce(stack.topics.step_results, run_id, value, None)
        seen = await watcher.until(
            lambda seen: seen.terminal(run_id), timeout=TIMEOUT, what="the run ends"
        )
    assert seen.terminal(run_id) == ["FAILED"]
    error = step_error(seen, run_id, "foreign")
    assert error.error_type == "OutputTooLarge"
    assert f"{len(result.output_json)} bytes of output" in error.error_message
    assert_alive(stack)


async def test_params_near_the_limit_run_to_the_end(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "uses"), params={"note": {"type": "string"}})
    await stack.publish(definition)
    note = "n" * (stack.settings.limits.max_params_bytes - 100)
    run_id, seen = await run_to_end(stack, definition.name, note=note)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert seen.step_statuses(run_id, "uses") == ["RUNNING", "SUCCEEDED"]
    assert_alive(stack)


async def test_a_fan_in_of_five_300_kb_outputs_never_builds_a_1_5_mb_message(
    own_stack: Stack,
) -> None:
    """With outputs of 300 KB allowed, five of them would make the join's request (and the
    run's state) 1.5 MB: the output that would not fit fails its step instead."""
    stack = own_stack
    stack.extra_env["PODIUM_LIMITS__MAX_OUTPUT_BYTES"] = "400000"
    stack.start_coordinator()
    stack.start_service("worker", WORKER)
    p = stack.prefix
    branches = [f"b{i}" for i in range(5)]
    definition = pipeline(
        p,
        *(step(p, name, input={"output_bytes": 300_000}) for name in branches),
        step(p, "join", after=branches),
    )
    await stack.publish(definition)
    run_id, seen = await run_to_end(stack, definition.name)
    assert seen.terminal(run_id) == ["FAILED"]
    refused = [b for b in branches if "FAILED" in seen.step_statuses(run_id, b)]
    assert refused, "an output that would not fit failed its step"
    error = step_error(seen, run_id, refused[0])
    assert error.error_type == "OutputTooLarge"
    assert "the run's state would be" in error.error_message
    succeeded = [b for b in branches if "SUCCEEDED" in seen.step_statuses(run_id, b)]
    assert 1 <= len(succeeded) <= 3, succeeded
    assert seen.step_statuses(run_id, "join") in ([], ["SKIPPED"], ["CANCELLED"])
    assert_alive(stack)
