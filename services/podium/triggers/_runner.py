"""TriggerRunner: event and cron triggers as two tasks beside the coordinator.

    runner = TriggerRunner(settings, registry, codec)   # registry already started
    await runner.start()
    ...
    await runner.stop()

The runner reads the registry it is given (it neither starts nor stops it) and
owns its Kafka clients, made by its ``transport`` (``podium.streams``; by default
the settings' cluster): one idempotent ``acks=all`` producer and one consumer
in group ``group_id`` (manual commits, ``podium.streams.GroupCommits``). Every
coordinator instance may run one: event partitions are shared by the group, cron
ticks are produced by each instance under the same run ids (one run per tick, see
``_cron_loop``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from podium.codec import Codec
from podium.events import SchemaRegistryClient
from podium.pipelines import Pipeline
from podium.registry import RegisteredPipeline
from podium.settings import PodiumSettings
from podium.streams import KafkaTransport, Transport
from podium.triggers._cron_loop import CronTriggers
from podium.triggers._events import EventTriggers
from podium.triggers._plan import latest_pipelines
from podium.triggers._send import RunSender, TriggerStats
from podium.triggers._start import TriggerKey, first_published

log = logging.getLogger("podium.triggers")

DEFAULT_GROUP_ID = "podium-triggers"
DEFAULT_CATCH_UP_S = 60.0
STOP_GRACE_S = 5.0
METADATA_MAX_AGE_MS = 10_000
"""Refresh topic metadata every 10s: a trigger topic created after subscribing is found soon."""

Clock = Callable[[], datetime]


class PipelineSource(Protocol):
    """What the runner needs of a registry (``podium.registry.PipelineRegistry`` has it)."""

    def list(self) -> list[RegisteredPipeline]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class TriggerRunner:
    """Starts runs from events on trigger topics and from cron schedules.

    Where the group has no committed offset (a new group, or a trigger topic new
    to it) the topic is read from its triggers' ``from`` (see ``_start``): by
    default from the first record stamped after the trigger was first published,
    so an event that landed between ``podium pipelines apply`` and the
    coordinator's start runs and older history does not. ``auto_offset_reset``
    only applies where a committed offset is out of range. ``catch_up_s`` is the cron
    starting deadline: on start, ticks of the last ``catch_up_s`` seconds are
    produced (a tick due during a restart still runs), older ones never.
    """

    def __init__(
        self,
        settings: PodiumSettings,
        registry: PipelineSource,
        codec: Codec,
        *,
        group_id: str = DEFAULT_GROUP_ID,
        clock: Clock = utc_now,
        catch_up_s: float = DEFAULT_CATCH_UP_S,
        cron_interval_s: float = 1.0,
        registry_poll_s: float = 2.0,
        auto_offset_reset: Literal["earliest", "latest"] = "earliest",
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings
        self.transport = transport
        """Where the clients come from; None: the settings' cluster, at start."""
        self.registry = registry
        self.codec = codec
        self.group_id = group_id
        self.clock = clock
        self.catch_up = timedelta(seconds=catch_up_s)
        self.cron_interval_s = cron_interval_s
        self.registry_poll_s = registry_poll_s
        self.auto_offset_reset = auto_offset_reset
        self.stats = TriggerStats()
        self.events: EventTriggers | None = None
        self.cron: CronTriggers | None = None
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._schema_registry: SchemaRegistryClient | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def pipelines(self) -> list[Pipeline]:
        """The latest published version of each pipeline (the ones whose triggers fire)."""
        return latest_pipelines(self.registry.list())

    def published(self) -> dict[TriggerKey, datetime]:
        """When each event trigger first appeared in a published version (its ``from: end``)."""
        return first_published(self.registry.list())

    async def start(self) -> None:
        """Start the clients and both loops; returns once they run (BrokerError-free: the
        aiokafka error of a failed start propagates, with nothing left open)."""
        if self._tasks:
            return
        self._stop.clear()
        try:
            await self._open_clients()
        except BaseException:
            await self._close_clients()
            raise
        self._tasks = [
            asyncio.create_task(self._loop_events().run(self._stop), name="podium-event-triggers"),
            asyncio.create_task(self._loop_cron().run(self._stop), name="podium-cron-triggers"),
        ]
        log.info("triggers started (group %s)", self.group_id)

    async def stop(self) -> None:
        """Stop both loops (within about a second), commit done offsets, close; safe twice."""
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self._close_clients()

    async def __aenter__(self) -> TriggerRunner:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _open_clients(self) -> None:
        transport = self.transport or KafkaTransport(self.settings.client_kwargs())
        self._producer = transport.producer(acks="all", enable_idempotence=True)
        await self._producer.start()
        self._consumer = transport.consumer(
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset=self.auto_offset_reset,
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            isolation_level="read_committed",  # a transactional producer's aborts skipped
        )
        await self._consumer.start()
        if self.settings.schema_registry.url is not None:
            self._schema_registry = SchemaRegistryClient(self.settings.schema_registry)

    async def _close_clients(self) -> None:
        consumer, self._consumer = self._consumer, None
        producer, self._producer = self._producer, None
        registry, self._schema_registry = self._schema_registry, None
        if registry is not None:
            await registry.close()
        if consumer is not None:
            await consumer.stop()
        if producer is not None:
            await producer.stop()

    def _sender(self) -> RunSender:
        return RunSender(
            self._producer,
            self.codec,
            self.settings.topics.runs,
            self.group_id,
            self.settings.limits.max_message_bytes,
        )

    def _loop_events(self) -> EventTriggers:
        assert self._consumer is not None
        self.events = EventTriggers(
            self._consumer,
            self._sender(),
            self.codec,
            self.pipelines,
            clock=self.clock,
            stats=self.stats,
            poll_s=self.registry_poll_s,
            published=self.published,
            schema_registry=self._schema_registry,
        )
        return self.events

    def _loop_cron(self) -> CronTriggers:
        self.cron = CronTriggers(
            self._sender(),
            self.pipelines,
            clock=self.clock,
            stats=self.stats,
            catch_up=self.catch_up,
            interval_s=self.cron_interval_s,
        )
        return self.cron
