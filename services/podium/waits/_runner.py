"""WaitRunner: the coordinator's waiter, beside its triggers (the shell's wiring).

    waiter = WaitRunner(settings, registry, codec)   # registry already started
    await waiter.start()
    ...
    await waiter.stop()

Two consumer groups (``<app_id>-service-waits``, the intake, named as the service of
the waiting steps' request topic so ``podium lag`` shows it as such, and
``<app_id>-waits``) and one
idempotent producer; every coordinator instance runs one, and the groups share the
work. See ``_intake`` and ``_pairs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from podium.codec import Codec
from podium.errors import PodiumError
from podium.events import SchemaRegistryClient
from podium.pipelines import WAITER_SERVICE, Pipeline, Step
from podium.settings import PodiumSettings
from podium.streams import KafkaTransport
from podium.triggers import RecordReader
from podium.waits._intake import Intake
from podium.waits._pairs import Pairs
from podium.waits._stats import WaitStats

log = logging.getLogger("podium.waits")

FETCH_TIMEOUT_MS = 200
TICK_S = 0.5
FOLLOW_S = 2.0
RETRY_DELAY_S = 1.0
METADATA_MAX_AGE_MS = 10_000


class WaitRunner:
    def __init__(self, settings: PodiumSettings, registry: Any, codec: Codec) -> None:
        self.settings = settings
        self.registry = registry
        self.codec = codec
        self.stats = WaitStats()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: list[Any] = []
        self._schema_registry: SchemaRegistryClient | None = None

    def pipelines(self) -> list[Pipeline]:
        return [entry.pipeline for entry in self.registry.list()]

    def step_of(self, pipeline: str, version: str, step: str) -> Step | None:
        try:
            found: Step = self.registry.get(pipeline, int(version)).step(step)
        except (KeyError, ValueError, PodiumError):  # an unknown pipeline, version or step
            return None
        return found

    async def start(self) -> None:
        """Start watching the registry; the waiter's clients open once a published pipeline
        has a waiting step, so a coordinator without any pays nothing for it."""
        if self._tasks:
            return
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._when_needed(), name="podium-waits-start")]

    def needed(self) -> bool:
        return any(step.waits for pipeline in self.pipelines() for step in pipeline.steps)

    async def _when_needed(self) -> None:
        while not self.needed():
            await self._pause(FOLLOW_S)
            if self._stop.is_set():
                return
        await self._open()

    async def _open(self) -> None:
        transport = KafkaTransport(self.settings.client_kwargs())
        producer = transport.producer(acks="all", enable_idempotence=True)
        app = self.settings.coordinator.app_id
        intake_consumer = self._consumer(transport, f"{app}-service-{WAITER_SERVICE}")
        pairs_consumer = self._consumer(transport, f"{app}-waits")
        self._clients = [producer, intake_consumer, pairs_consumer]
        for client in self._clients:
            await client.start()
        if self.settings.schema_registry.url is not None:
            self._schema_registry = SchemaRegistryClient(self.settings.schema_registry)
        topics = self.settings.topics
        intake = Intake(
            intake_consumer, producer, self.codec, self.pipelines, self.step_of,
            topics=topics, reader=RecordReader(self.codec, self._schema_registry), stats=self.stats,
            max_bytes=self.settings.limits.max_message_bytes,
        )  # fmt: skip
        pairs = Pairs(
            pairs_consumer, producer, self.codec, self.step_of,
            results_topic=topics.step_results, stats=self.stats,
        )  # fmt: skip
        pairs_consumer.subscribe([topics.waits_keyed], listener=pairs.listener())
        self._tasks += [
            asyncio.create_task(self._intake_loop(intake), name="podium-waits-intake"),
            asyncio.create_task(self._pairs_loop(pairs), name="podium-waits"),
        ]
        log.info("waiter started: a published pipeline has waiting steps")

    def _consumer(self, transport: KafkaTransport, group: str) -> AIOKafkaConsumer:
        consumer: AIOKafkaConsumer = transport.consumer(
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            isolation_level="read_committed",
        )
        return consumer

    async def _intake_loop(self, intake: Intake) -> None:
        followed = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - followed > FOLLOW_S:
                    intake.follow()
                    followed = time.monotonic()
                batch = await intake.consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
                for partition, records in batch.items():
                    if not await intake.take(partition, records):
                        await self._pause(RETRY_DELAY_S)
            except Exception:
                self.stats.errors += 1
                log.exception("waiter intake failed; retrying")
                await self._pause(RETRY_DELAY_S)
        await intake.commits.commit()

    async def _pairs_loop(self, pairs: Pairs) -> None:
        ticked = 0.0
        while not self._stop.is_set():
            try:
                batch = await pairs.consumer.getmany(timeout_ms=FETCH_TIMEOUT_MS)
                for partition, records in batch.items():
                    await pairs.take(partition, records)
                if time.monotonic() - ticked > TICK_S:
                    await pairs.tick()
                    ticked = time.monotonic()
            except Exception:
                self.stats.errors += 1
                log.exception("waiter failed; retrying")
                await self._pause(RETRY_DELAY_S)
        await pairs.commit()

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def stop(self) -> None:
        self._stop.set()
        while self._tasks:  # the start task may add the loops while it is awaited
            tasks, self._tasks = self._tasks, []
            _, late = await asyncio.wait(tasks, timeout=5.0)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        clients, self._clients = self._clients, []
        for client in reversed(clients):
            await client.stop()
        if self._schema_registry is not None:
            await self._schema_registry.close()
            self._schema_registry = None
