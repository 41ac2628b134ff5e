"""A batch whose produce fails half way leaves no state without its events.

The coordinator runs in this process with one produce failure injected: the batch of run
events caused by a step's result is refused (as a broker would refuse it after the
client's retries) while the rest of the poll's messages, the run's changelog record
among them, are sent. The coordinator stops (fail-stop); a second one is started. Every
event the stored state implies must then be on the run events topic, once: the step's
SUCCEEDED and the run's SUCCEEDED. Before transactions, the changelog already held the
run as succeeded, so the restarted coordinator took the re-read result for a duplicate
and emitted nothing: the run showed RUNNING for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, MutableMapping, Sequence
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from podium.coordinator._app import Coordinator
from podium.coordinator._run import ensure_changelogs
from podium.coordinator.core._state import RunState
from podium.streams import Outgoing
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack

WORKER = "tests.integration.e2e.services:worker"


class InjectedFailure(KafkaError):
    """What a producer reports for a batch the broker never took."""


class FailOneRunEventsBatch:
    """Wraps ``send_batch``: once the coordinator handled a step result, the next batch
    for the run events topic fails without being sent; every other batch goes out."""

    def __init__(self, coordinator: Coordinator) -> None:
        self.run_events = coordinator.topics.run_events
        self.results = coordinator.topics.step_results
        self.armed = False
        self.failed: list[int] = []
        self._handle = coordinator.handler.handle
        coordinator.handler.handle = self._watch  # type: ignore[method-assign]
        self._send_batch = AIOKafkaProducer.send_batch

    def _watch(
        self,
        topic: str,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, RunState],
        appended_ms: int | None = None,
    ) -> list[Outgoing]:
        self.armed = self.armed or topic == self.results
        return self._handle(topic, value, headers, table, appended_ms)

    async def send_batch(
        self, producer: AIOKafkaProducer, batch: Any, topic: str, *, partition: int
    ) -> asyncio.Future[Any]:
        if self.armed and not self.failed and topic == self.run_events:
            self.failed.append(partition)
            refused: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            refused.set_exception(InjectedFailure("injected: batch refused"))
            return refused
        return await self._send_batch(producer, batch, topic, partition=partition)


@contextlib.asynccontextmanager
async def serving(coordinator: Coordinator) -> AsyncIterator[asyncio.Task[None]]:
    changelogs = [coordinator.runs.changelog, coordinator.admissions.changelog]
    await ensure_changelogs(coordinator.settings, changelogs)
    stop = asyncio.Event()
    task = asyncio.create_task(coordinator.run(stop))
    try:
        yield task
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=30)


async def test_a_failed_produce_of_one_batch_loses_no_run_event(
    own_stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = own_stack
    p = stack.prefix
    definition = pipeline(p, step(p, "only", input={"output": {"rows": 3}}))
    await stack.publish(definition)
    stack.start_service("worker", WORKER)
    first = Coordinator(stack.settings)
    injected = FailOneRunEventsBatch(first)

    async def send_batch(self: AIOKafkaProducer, batch: Any, topic: str, *, partition: int) -> Any:
        return await injected.send_batch(self, batch, topic, partition=partition)

    monkeypatch.setattr(AIOKafkaProducer, "send_batch", send_batch)
    async with serving(first) as task:
        run_id = await stack.request_run(definition.name)
        with pytest.raises(ExceptionGroup) as stopped:  # fail-stop: nothing committed past it
            await asyncio.wait_for(asyncio.shield(task), timeout=60)
    assert stopped.group_contains(InjectedFailure), "the injected failure stopped it"
    monkeypatch.undo()

    async with EventWatcher(stack) as watcher, serving(Coordinator(stack.settings)):
        seen = await watcher.until(
            lambda seen: seen.terminal(run_id),
            timeout=60,
            what="the run's end is on the run events topic after the restart",
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert seen.step_statuses(run_id, "only").count("SUCCEEDED") == 1
