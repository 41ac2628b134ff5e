"""The engine stops (fail-stop) when a rebalance step fails, instead of serving on with
partitions left paused: aiokafka itself only logs a rebalance listener's exception."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import TopicPartition

from podium.coordinator._engine import Engine, EngineConfig, Route, _Rebalance
from podium.coordinator._store import Table

ASSIGNED = {TopicPartition("podium.runs", 0)}


class PausingConsumer:
    """Stands in for AIOKafkaConsumer's pause/resume/fetch (no records ever come)."""

    def __init__(self) -> None:
        self.paused: set[TopicPartition] = set()

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused.update(partitions)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused.difference_update(partitions)

    async def getmany(self, timeout_ms: int) -> dict[Any, Any]:
        await asyncio.sleep(0)
        return {}


def engine_whose_restore_fails() -> tuple[Engine, PausingConsumer]:
    table: Table[bytes] = Table("app-runs-changelog")
    config = EngineConfig("app", session_timeout_ms=6000, fetch_max_wait_ms=100, linger_ms=0)
    engine = Engine({}, config, {"podium.runs": Route(table, lambda record, store: [])})
    consumer = PausingConsumer()
    engine._consumer = consumer

    async def broken_restore(table: Table[Any], partitions: set[int]) -> int:
        raise KafkaTimeoutError("changelog unreachable")

    engine._restore = broken_restore  # type: ignore[method-assign]
    return engine, consumer


async def test_a_failed_restore_stops_the_engine() -> None:
    engine, consumer = engine_whose_restore_fails()
    await _Rebalance(engine).on_partitions_assigned(ASSIGNED)  # as aiokafka calls it
    assert consumer.paused == ASSIGNED  # nothing of these partitions was handled
    with pytest.raises(KafkaTimeoutError, match="changelog unreachable"):
        await asyncio.wait_for(engine._serve(asyncio.Event()), timeout=5)


async def test_a_restored_assignment_resumes_the_partitions() -> None:
    engine, consumer = engine_whose_restore_fails()

    async def restore(table: Table[Any], partitions: set[int]) -> int:
        return 0

    engine._restore = restore  # type: ignore[method-assign]
    await _Rebalance(engine).on_partitions_assigned(ASSIGNED)
    assert consumer.paused == set()
    assert engine._failure is None
