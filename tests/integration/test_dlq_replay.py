"""`podium dlq replay` end to end: a run for a pipeline published too late is not lost.

A RunRequested naming a pipeline nobody has published yet is dead-lettered
(``unknown-pipeline``); replayed too early it comes back with its replay count
raised; past ``--max-replays`` it is refused; once the pipeline is published a
replay starts the run and it succeeds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.dlq import DlqEntry, read_dlq
from podium.testing import wait_until
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack
from tests.integration.test_dlq_cli import invoke

RUN_TIMEOUT = 60.0


@pytest.fixture
def stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    stack = make_stack(kafka_bootstrap, tmp_path)
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    try:
        yield stack
    finally:
        stack.stop_all()


async def dead_letters_of(stack: Stack, run_id: str, count: int) -> list[DlqEntry]:
    """The run's dead letters in the runs DLQ, once there are ``count`` of them."""

    async def found() -> list[DlqEntry] | None:
        entries, _ = await read_dlq(stack.settings.client_kwargs(), f"{stack.topics.runs}.dlq")
        mine = [e for e in entries if e.run_id == run_id]
        return mine if len(mine) >= count else None

    return await wait_until(found, timeout=RUN_TIMEOUT, what=f"{count} dead letters of {run_id}")


async def test_a_dead_lettered_run_is_replayed_once_its_pipeline_exists(stack: Stack) -> None:
    p, runs = stack.prefix, stack.topics.runs
    later = pipeline(p, step(p, "work"))
    run_id = await stack.request_run(later.name, run_id=f"late-{uuid.uuid4().hex[:8]}")
    (first,) = await dead_letters_of(stack, run_id, 1)
    assert (first.reason, first.replay_count) == ("unknown-pipeline", 0)

    too_early = await invoke(stack.bootstrap, "dlq", "replay", runs, "--run", run_id)
    assert "replayed 1, skipped 0, refused 0" in too_early.output, too_early.output
    _, second = await dead_letters_of(stack, run_id, 2)
    assert (second.reason, second.replay_count, second.replay_of) == (
        "unknown-pipeline",
        1,
        first.coordinate,
    )

    capped = await invoke(
        stack.bootstrap, "dlq", "replay", runs, "--run", run_id, "--max-replays", "1"
    )
    assert capped.exit_code == 0, capped.output
    assert "replayed 0, skipped 1, refused 1" in capped.output
    assert f"refused {second.partition}:{second.offset}" in capped.output
    assert "replayed 1 times already (--max-replays 1)" in capped.output

    await stack.publish(later)
    async with EventWatcher(stack) as watcher:
        probe = await stack.request_run(later.name)  # the coordinator knows the pipeline now
        await watcher.until(lambda s: s.terminal(probe), timeout=RUN_TIMEOUT, what="probe")
        dry = await invoke(
            stack.bootstrap, "dlq", "replay", f"{runs}.dlq", "--run", run_id, "--dry-run"
        )
        assert "would replay 1," in dry.output, dry.output
        replayed = await invoke(stack.bootstrap, "dlq", "replay", runs, "--run", run_id)
        assert "replayed 1, skipped 1, refused 0" in replayed.output, replayed.output
        seen = await watcher.until(
            lambda s: s.terminal(run_id),
            timeout=RUN_TIMEOUT,
            what=f"{run_id} finishes after its replay",
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert len(await dead_letters_of(stack, run_id, 2)) == 2  # nothing new was dead-lettered
    print(f"\nreplay: {run_id} dead-lettered 2x, replayed 2x, refused 1x, then SUCCEEDED")


async def test_a_step_request_of_a_failed_run_is_refused_saying_to_use_retry(
    stack: Stack,
) -> None:
    """The worker dead-letters its request (PoisonMessage) and the run fails; replaying
    that request would run the step but leave the run failed, so it is refused."""
    p = stack.prefix
    poisoned = pipeline(p, step(p, "parse", input={"poison": True}))
    await stack.publish(poisoned)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(poisoned.name)
        seen = await watcher.until(lambda s: s.terminal(run_id), timeout=RUN_TIMEOUT, what="end")
    assert seen.terminal(run_id) == ["FAILED"]
    topic = f"{p}.steps.worker.dlq"

    async def letter() -> list[DlqEntry] | None:
        entries, _ = await read_dlq(stack.settings.client_kwargs(), topic)
        return [e for e in entries if e.run_id == run_id] or None

    [entry] = await wait_until(letter, timeout=RUN_TIMEOUT, what="the request's dead letter")
    assert entry.step == "parse" and entry.reason == "handler"
    replayed = stack.cli("dlq", "replay", topic, "--run", run_id)
    assert replayed.returncode == 0, replayed.stderr
    assert "replayed 0, skipped 0, refused 1" in replayed.stdout, replayed.stdout
    assert f"run {run_id} has finished (FAILED)" in replayed.stdout
    assert f"use `podium runs retry {run_id} --from parse`" in replayed.stdout
