"""Priorities through a running coordinator: under ``max_active_runs: 1`` the waiting run of
higher priority starts first, whatever the order the runs were requested in."""

from __future__ import annotations

import json
from datetime import datetime

from podium import contract as wire
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack


def _status(seen: RunEvents, run_id: str, status: str) -> bool:
    return any(str(e.status) == status for e in seen.of(run_id) if e.step is None)


def _started_at(seen: RunEvents, run_id: str) -> datetime:
    """When the coordinator admitted the run (its run-level RUNNING event's time)."""
    return next(
        e.changed_at for e in seen.of(run_id) if e.step is None and str(e.status) == "RUNNING"
    )


def _start_priority(seen: RunEvents, run_id: str) -> object:
    """The priority the run-start event (QUEUED) carries in its detail (absent: 0)."""
    first = next(e for e in seen.of(run_id) if e.step is None and str(e.status) == "QUEUED")
    return json.loads(first.detail_json or "{}").get("priority", 0)


async def test_the_waiting_run_of_higher_priority_starts_first(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "work", input={"sleep_s": 2}), max_active_runs=1)
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        first = await stack.request_run(definition.name)
        await watcher.until(lambda s: _status(s, first, "RUNNING"), timeout=60, what="first runs")
        low = await stack.request_run(definition.name, priority=-5)
        await watcher.until(lambda s: _status(s, low, "QUEUED"), timeout=60, what="low queues")
        high = await stack.request_run(definition.name, priority=10)
        runs = [first, low, high]
        seen = await watcher.until(
            lambda s: all(s.terminal(run) for run in runs), timeout=120, what="all three end"
        )
    assert all(seen.terminal(run) == [wire.RunStatus.SUCCEEDED] for run in runs)
    assert _started_at(seen, first) < _started_at(seen, high) < _started_at(seen, low)
    assert [_start_priority(seen, run) for run in runs] == [0, -5, 10]
