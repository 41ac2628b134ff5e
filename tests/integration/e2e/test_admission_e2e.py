"""max_active_runs through a running coordinator: never more than the cap run at once."""

from __future__ import annotations

from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

RUNS = 5
CAP = 2


def _peak_running(seen: RunEvents, run_ids: list[str]) -> int:
    """The most runs RUNNING at once, replaying the run-level events in order."""
    active: set[str] = set()
    peak = 0
    for event in seen.events:
        if event.run_id not in run_ids or event.step is not None:
            continue
        if str(event.status) == "RUNNING":
            active.add(event.run_id)
        elif str(event.status) in {"SUCCEEDED", "FAILED", "CANCELLED", "COMPENSATED"}:
            active.discard(event.run_id)
        peak = max(peak, len(active))
    return peak


async def test_runs_beyond_max_active_runs_wait_their_turn(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "work", input={"sleep_s": 1}), max_active_runs=CAP)
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_ids = [await stack.request_run(definition.name) for _ in range(RUNS)]
        await watcher.until(
            lambda seen: all(seen.terminal(run) for run in run_ids),
            timeout=120,
            what="every capped run finishes",
        )
        seen = watcher.seen
    assert all(seen.terminal(run) == ["SUCCEEDED"] for run in run_ids)
    queued = [
        run
        for run in run_ids
        if seen.run_status(run)
        and any(str(e.status) == "QUEUED" for e in seen.of(run) if e.step is None)
    ]
    assert len(queued) == RUNS  # every run of a capped pipeline passes through the queue
    assert _peak_running(seen, run_ids) == CAP
