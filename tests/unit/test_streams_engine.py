"""The stream-table engine driven whole on the in-memory transport: records in, messages,
changelog records and offsets out in one transaction; a restart restores its table; a
failed restore or a refused batch stops it (fail-stop) with nothing half written."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, MutableMapping
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.structs import ConsumerRecord, TopicPartition

from podium.streams import Engine, EngineConfig, Outgoing, Route, Table
from podium.streams.testing import MemoryBroker, MemoryTransport

CHANGELOG = "app-counts-changelog"
CONFIG = EngineConfig("app", session_timeout_ms=6000, fetch_max_wait_ms=100, linger_ms=0)


class Counter:
    """A route's handler: counts each key's records in the table, says the count on ``out``."""

    def __init__(self) -> None:
        self.handled = 0

    def __call__(
        self, record: ConsumerRecord[bytes, bytes], store: MutableMapping[str, Any]
    ) -> list[Outgoing]:
        self.handled += 1
        key = record.key.decode()
        count = int(store.get(key, b"0")) + 1
        store[key] = str(count).encode()
        return [Outgoing("out", record.key, str(count).encode(), [])]


def new_broker() -> MemoryBroker:
    return MemoryBroker({"in": 1, "out": 1, CHANGELOG: 1})


def engine_on(broker: MemoryBroker, handle: Counter) -> Engine:
    return Engine(MemoryTransport(broker), CONFIG, {"in": Route(Table(CHANGELOG), handle)})


async def until(condition: Callable[[], bool], running: asyncio.Task[None]) -> None:
    """Wait for ``condition`` while the engine runs (its failure is raised at once)."""
    async with asyncio.timeout(5):
        while not condition():
            if running.done():
                running.result()
                raise AssertionError("the engine stopped before the condition held")
            await asyncio.sleep(0.01)


async def serve_until(engine: Engine, condition: Callable[[], bool]) -> None:
    stop = asyncio.Event()
    await engine.start()
    running = asyncio.create_task(engine.run(stop))
    try:
        await until(condition, running)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=5)
        await engine.stop()


async def run_to_failure(engine: Engine) -> None:
    await engine.start()
    try:
        await asyncio.wait_for(engine.run(asyncio.Event()), timeout=5)
    finally:
        await engine.stop()


async def test_a_poll_writes_its_messages_changes_and_offsets_together() -> None:
    broker, counter = new_broker(), Counter()
    for key in (b"a", b"b", b"a"):
        broker.produce("in", b"event", key)
    await serve_until(engine_on(broker, counter), lambda: len(broker.records("out")) == 3)
    assert broker.records("out") == [(b"a", b"1"), (b"b", b"1"), (b"a", b"2")]
    assert dict(broker.records(CHANGELOG)) == {b"a": b"2", b"b": b"1"}
    assert broker.committed["app"] == {TopicPartition("in", 0): 3}


async def test_a_restarted_engine_restores_its_table_and_reads_on_from_its_offset() -> None:
    broker = new_broker()
    broker.produce("in", b"event", b"a")
    first = Counter()
    await serve_until(engine_on(broker, first), lambda: len(broker.records("out")) == 1)
    broker.produce("in", b"event", b"a")
    second = Counter()
    await serve_until(engine_on(broker, second), lambda: len(broker.records("out")) == 2)
    assert broker.records("out")[-1] == (b"a", b"2")  # the count came from the changelog
    assert (first.handled, second.handled) == (1, 1)  # nothing read twice


async def test_a_failed_restore_stops_the_engine_before_any_record_is_handled() -> None:
    broker, counter = new_broker(), Counter()
    broker.produce("in", b"event", b"a")
    broker.cut_off(CHANGELOG, KafkaTimeoutError("changelog unreachable"))
    with pytest.raises(KafkaTimeoutError, match="changelog unreachable"):
        await run_to_failure(engine_on(broker, counter))
    assert counter.handled == 0
    assert broker.committed.get("app", {}) == {}


async def test_a_refused_batch_aborts_the_poll_and_the_next_owner_writes_it_once() -> None:
    broker = new_broker()
    broker.produce("in", b"event", b"a")
    broker.refuse("out", KafkaTimeoutError("batch expired"))
    with pytest.raises(KafkaTimeoutError, match="batch expired"):
        await run_to_failure(engine_on(broker, Counter()))
    assert broker.records("out") == []
    assert broker.records(CHANGELOG) == []  # the aborted change is not visible either
    assert broker.committed.get("app", {}) == {}
    await serve_until(engine_on(broker, Counter()), lambda: len(broker.records("out")) == 1)
    assert broker.records("out") == [(b"a", b"1")]
    assert broker.records(CHANGELOG) == [(b"a", b"1")]
