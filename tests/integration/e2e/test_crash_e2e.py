"""The coordinator killed with SIGKILL mid-run and restarted: runs still succeed, no step lost."""

from __future__ import annotations

import signal
from collections import Counter

from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import EventWatcher, Stack

RUNS = 6
STEPS = ("first", "second", "third")


async def test_coordinator_sigkill_mid_run_then_restart(own_stack: Stack) -> None:
    stack = own_stack
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "first", input={"sleep_s": 0.5}),
        step(p, "second", after=["first"], input={"sleep_s": 0.5}),
        step(p, "third", after=["second"], input={"sleep_s": 0.5}),
    )
    await stack.publish(definition)
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    async with EventWatcher(stack) as watcher:
        run_ids = [await stack.request_run(definition.name) for _ in range(RUNS)]
        await watcher.until(
            lambda seen: (
                sum("SUCCEEDED" in seen.step_statuses(run, "first") for run in run_ids) >= 2
            ),
            timeout=90,
            what="runs are under way",
        )
        stack.kill("coordinator", signal.SIGKILL)
        stack.start_coordinator("coordinator-restarted")
        await watcher.until(
            lambda seen: all(seen.terminal(run) for run in run_ids),
            timeout=120,
            what="every run finishes after the restart",
        )
        seen = watcher.seen
    for run in run_ids:
        assert seen.terminal(run) == ["SUCCEEDED"], run
        for name in STEPS:
            assert seen.step_statuses(run, name)[-1] == "SUCCEEDED", (run, name)
    done = Counter((run, name) for run, name, _ in executions(stack.home) if run in run_ids)
    assert set(done) == {(run, name) for run in run_ids for name in STEPS}
    repeats = sum(count - 1 for count in done.values())
    print(f"{RUNS} runs x {len(STEPS)} steps; step executions repeated by redelivery: {repeats}")
