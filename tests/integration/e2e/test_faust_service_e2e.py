"""A faust-streaming app serves a pipeline step through podium.faust, end to end.

The app (``faust_app.py``) is a real faust worker, run as its own process against the
test broker beside the coordinator and the scripted Python worker of the other steps.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.foreign import (
    UNDECODABLE,
    check_routed_result,
    send_junk,
    service_step,
)
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack, run_once

FAUST = "faust"
RUN_TIMEOUT = 90.0  # the first run waits for the faust worker's first assignment


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A coordinator, the scripted Python worker and the faust worker."""
    home = tmp_path_factory.mktemp("faust")
    with serving(make_stack(kafka_bootstrap, home, ["worker", FAUST])) as stack:
        command = [sys.executable, "-m", "tests.integration.e2e.faust_app", "worker", "-l", "info"]
        stack.start_program(FAUST, command)
        yield stack


def faust_step(stack: Stack, name: str = "summarize", **fields: Any) -> dict[str, Any]:
    return service_step(stack, FAUST, name, **fields)


async def test_a_faust_step_completes_and_its_output_feeds_the_next_step(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "extract", input={"output": {"rows": 3}}),
        faust_step(stack, after=["extract"], input={"title": "weekly"}),
        step(p, "publish", after=["summarize"], input={"echo_upstream": True}),
    )
    run_id, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    summary = {"by": FAUST, "input": {"title": "weekly"}, "upstream": {"extract": {"rows": 3}}}
    summary["attempt"] = 1
    [done] = [e for e in seen.step_events(run_id, "summarize") if e.output_json]
    assert json.loads(done.output_json or "") == summary
    [published] = [e for e in seen.step_events(run_id, "publish") if e.output_json]
    assert json.loads(published.output_json or "") == {"summarize": summary}
    await check_routed_result(stack, seen, run_id, "summarize", worker=b"faust/")


async def test_faust_failures_are_retried_or_fail_the_run_as_declared(stack: Stack) -> None:
    p = stack.prefix
    flaky = pipeline(p, faust_step(stack, input={"fail_attempts": 1}))
    fatal = pipeline(p, faust_step(stack, input={"fatal": True}))
    await stack.publish(flaky, fatal)
    async with EventWatcher(stack) as watcher:
        flaky_run = await stack.request_run(flaky.name)
        fatal_run = await stack.request_run(fatal.name)
        ends = await watcher.finished([flaky_run, fatal_run], RUN_TIMEOUT)
        seen = watcher.seen
    assert ends == {flaky_run: ["SUCCEEDED"], fatal_run: ["FAILED"]}
    flaky_statuses = seen.step_statuses(flaky_run, "summarize")
    assert flaky_statuses.count("RETRY_WAIT") == 1 and flaky_statuses[-1] == "SUCCEEDED"
    last = seen.step_events(fatal_run, "summarize")[-1]
    assert last.attempt == 1 and last.error is not None and not last.error.retryable
    assert last.error.error_type == "NonRetryableError"


async def test_undecodable_requests_are_dead_lettered_and_the_agent_keeps_serving(
    stack: Stack,
) -> None:
    run_id = f"bad-{uuid.uuid4().hex[:12]}"
    entries = await send_junk(stack, FAUST, run_id)
    assert [(e.reason, e.detail) for e in entries] == UNDECODABLE
    assert {e.origin.topic for e in entries if e.origin} == {stack.step_topic(FAUST)}
    definition = pipeline(stack.prefix, faust_step(stack, input={"after": "junk"}))
    after, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(after) == ["SUCCEEDED"]
    assert stack.processes[FAUST].poll() is None
