"""The read model against a real broker: catch-up at start, following, skipping bad records,
waiting for a run."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer

from podium.contract import RunStatus
from podium.dlq import read_dlq
from podium.runs import ReadModel, RunEventsTopicMissingError
from podium.testing import random_topic_name
from tests.integration.test_api_support import Env, env, simulate_run

__all__ = ["env"]


async def test_start_returns_caught_up_and_bad_records_are_skipped_and_counted(env: Env) -> None:
    await simulate_run(env, "before-start")
    producer = AIOKafkaProducer(**env.kwargs)
    await producer.start()
    try:
        await producer.send_and_wait(env.topics.run_events, b"not avro", key=b"x")
    finally:
        await producer.stop()
    async with ReadModel(env.kwargs, env.topics.run_events, env.codec) as runs:
        view = runs.get("before-start")
        assert view is not None and view.status is RunStatus.SUCCEEDED
        assert runs.skipped == 1 and runs.problem() is None


async def test_it_keeps_following_and_wait_for_sees_the_end(env: Env) -> None:
    async with ReadModel(env.kwargs, env.topics.run_events, env.codec) as runs:
        seen: list[str] = []
        runs.add_listener(lambda event: seen.append(event.step or "run"))
        waiting = asyncio.create_task(runs.wait_for("later", lambda v: v.finished, timeout=20))
        await simulate_run(env, "later", fail=True)
        view = await waiting
        assert view.status is RunStatus.FAILED and view.steps["load"].error is not None
        assert seen[0] == "run" and seen.count("validate") == 4
        with pytest.raises(TimeoutError):
            await runs.wait_for("never", lambda v: True, timeout=0.5)


async def test_a_missing_topic_says_to_apply_topics(env: Env) -> None:
    with pytest.raises(RunEventsTopicMissingError, match="podium topics apply"):
        await ReadModel(env.kwargs, random_topic_name("missing")).start()


async def test_hostile_run_events_are_dead_lettered_and_the_model_keeps_serving(
    env: Env,
) -> None:
    """Deep JSON and a 10,000-digit integer in a run event's JSON, and a record at the
    broker's size limit, do not stop the read model (the API's and the CLI's view of runs):
    the good run written after them is seen finished, and the record it could not decode
    is in the DLQ, cut to fit."""
    deep = "[" * 100_000 + "]" * 100_000
    await env.emit("deep", 0, RunStatus.RUNNING, detail_json=deep)
    await env.emit("huge", 0, RunStatus.RUNNING, detail_json='{"n": ' + "9" * 10_000 + "}")
    async with AIOKafkaProducer(**env.kwargs, max_request_size=2_000_000) as producer:
        await producer.send_and_wait(env.topics.run_events, b"\x00" * (1_048_588 - 300), key=b"big")
    await simulate_run(env, "after-hostile")
    async with ReadModel(env.kwargs, env.topics.run_events, env.codec) as runs:
        view = await runs.wait_for("after-hostile", lambda v: v.finished, timeout=30)
        assert view.status is RunStatus.SUCCEEDED
        assert runs.get("deep") is not None and runs.get("huge") is not None  # raw text shown
        assert runs.skipped == 1 and runs.problem() is None
    entries, _ = await read_dlq(env.kwargs, f"{env.topics.run_events}.dlq")
    (entry,) = [e for e in entries if e.run_id == "big"]
    assert entry.reason == "decode" and entry.truncated and "value cut from" in entry.truncated
