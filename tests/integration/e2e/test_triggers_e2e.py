"""Triggers through running coordinators: cron ticks with two instances, file events."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from podium import contract as wire
from podium.testing import wait_until
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack, same_partition_id


def _starts(seen: RunEvents, pipeline_name: str) -> dict[str, str]:
    """run id -> trigger reference, for the runs of ``pipeline_name`` that started."""
    found = {}
    for event in seen.events:
        if event.pipeline == pipeline_name and event.step is None and event.detail_json:
            trigger = json.loads(event.detail_json).get("trigger")
            if trigger:
                found[event.run_id] = trigger.get("reference")
    return found


async def _requests_per_run(stack: Stack) -> Counter[str]:
    consumer = AIOKafkaConsumer(
        stack.topics.runs, bootstrap_servers=stack.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    counts: Counter[str] = Counter()
    try:
        while batches := await consumer.getmany(timeout_ms=1000):  # until nothing more comes
            for records in batches.values():
                counts.update(record.key.decode() for record in records if record.key)
    finally:
        await consumer.stop()
    return counts


async def _asked_twice(stack: Stack) -> str | None:
    """A run id both coordinators asked for (each fires the ticks of its last minute)."""
    twice = [run for run, count in (await _requests_per_run(stack)).items() if count >= 2]
    return twice[0] if twice else None


async def test_a_cron_tick_with_two_coordinators_starts_one_run(own_stack: Stack) -> None:
    stack = own_stack
    p = stack.prefix
    definition = pipeline(p, step(p, "tick"), triggers=[{"type": "cron", "schedule": "* * * * *"}])
    await stack.publish(definition)
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    stack.start_coordinator("coordinator-a")
    stack.start_coordinator("coordinator-b")
    async with EventWatcher(stack) as watcher:
        await watcher.until(
            lambda seen: any(seen.terminal(r) for r in _starts(seen, definition.name)),
            timeout=90,
            what="a cron run finishes",
        )
        first = await wait_until(
            lambda: _asked_twice(stack), timeout=90, what="both coordinators asked for a tick"
        )
        # A later run on the same partition is a barrier: once it finishes, the coordinator
        # has read everything before it there, the second request for ``first`` included.
        barrier = await stack.request_run(definition.name, run_id=same_partition_id(first))
        await watcher.until(lambda seen: seen.terminal(barrier), timeout=60, what="barrier")
        seen = await watcher.poll()
    requests = await _requests_per_run(stack)
    runs_per_tick: dict[str, set[str]] = defaultdict(set)
    for run_id, reference in _starts(seen, definition.name).items():
        runs_per_tick[reference].add(run_id)
    assert runs_per_tick and all(len(runs) == 1 for runs in runs_per_tick.values())
    assert requests[first] >= 2  # both instances asked; the coordinator started it once
    assert seen.terminal(first) == ["SUCCEEDED"]
    assert len([e for e in seen.of(first) if e.step is None and str(e.status) == "RUNNING"]) == 1


async def test_a_file_landed_event_starts_a_run_once(own_stack: Stack) -> None:
    stack = own_stack
    p = stack.prefix
    trigger = {
        "type": "event",
        "topic": stack.topics.files_landed,
        "event": "FileLanded",
        "match": {"uri": "*.csv"},
        "params": {"uri": "uri"},
    }
    definition = pipeline(
        p,
        step(p, "ingest"),
        triggers=[trigger],
        params={"uri": {"type": "string", "required": True}},
    )
    await stack.publish(definition)
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    stack.start_coordinator()
    landed = wire.FileLanded(
        uri="file:///data/in/sales.csv", size_bytes=10, checksum="abc", landed_at=datetime.now(UTC)
    )
    async with AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all") as producer:
        for _ in range(2):  # the same file announced twice
            await producer.send_and_wait(
                stack.topics.files_landed, stack.codec.encode_event(landed), key=b"sales.csv"
            )
    async with EventWatcher(stack) as watcher:
        await watcher.until(
            lambda seen: any(seen.terminal(r) for r in _starts(seen, definition.name)),
            timeout=90,
            what="the file's run finishes",
        )
        seen = watcher.seen
    runs = _starts(seen, definition.name)
    assert len(runs) == 1
    (run_id,) = runs
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    start = next(e for e in seen.of(run_id) if e.step is None)
    assert json.loads(start.detail_json or "{}")["params"]["uri"] == landed.uri
