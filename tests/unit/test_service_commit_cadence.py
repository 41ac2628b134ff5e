"""A serving loop commits done offsets at most every ``COMMIT_INTERVAL_S`` (a commit per
record was a third of a busy service's CPU), and every done offset still gets committed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.structs import TopicPartition

from podium.service import Service, ServiceRunner
from podium.service import _runner as runner_module

TP = TopicPartition("podium.steps.noop", 0)


class _Consumer:
    """Each fetch takes ``step_s`` of the (fake) clock, returns nothing but marks one more
    offset done (as a finished handler would); the loop stops after ``fetches`` fetches."""

    def __init__(self, runner: ServiceRunner, stop: asyncio.Event, step_s: float) -> None:
        self.runner, self.stop, self.left, self.step_s = runner, stop, 40, step_s
        self.commits: list[dict[TopicPartition, int]] = []
        self.offset = 0
        self.now = 1000.0

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        self.now += self.step_s
        self.runner.tracker.started(TP, self.offset)
        self.runner.tracker.finished(TP, self.offset)
        self.offset += 1
        self.left -= 1
        if self.left == 0:
            self.stop.set()
        return {}

    async def commit(self, positions: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(positions))

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    async def position(self, tp: TopicPartition) -> int:
        return self.offset


class _FakeTime:
    def __init__(self, consumer: _Consumer) -> None:
        self.consumer = consumer

    def monotonic(self) -> float:
        return self.consumer.now


async def _serve(monkeypatch: pytest.MonkeyPatch, seconds_per_fetch: float) -> _Consumer:
    runner = ServiceRunner(Service("noop"), {})
    stop = asyncio.Event()
    consumer = _Consumer(runner, stop, seconds_per_fetch)
    monkeypatch.setattr(runner_module, "time", _FakeTime(consumer))
    runner._consumer = consumer  # a stand-in with the methods the loop calls
    await runner._fetch_until(stop)
    await runner.commit()  # what stopping does
    return consumer


async def test_a_busy_loop_commits_a_few_times_not_once_per_fetch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    consumer = await _serve(monkeypatch, seconds_per_fetch=0.01)  # 40 fetches in 0.4 s
    assert 2 <= len(consumer.commits) <= 4
    assert consumer.commits[-1] == {TP: 40}  # everything done is committed in the end


async def test_a_slow_loop_still_commits_after_every_fetch(monkeypatch: pytest.MonkeyPatch) -> None:
    consumer = await _serve(monkeypatch, seconds_per_fetch=runner_module.COMMIT_INTERVAL_S)
    assert len(consumer.commits) == 40
    assert [c[TP] for c in consumer.commits] == list(range(1, 41))
