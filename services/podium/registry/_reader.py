"""Reading the registry topic: catch up once, then keep following.

The consumer joins no group: every reader (each coordinator and API
instance, each CLI call) needs the whole registry, not a share of it. It
assigns every partition, seeks to the beginning, and counts as caught up once
its position reaches the end offsets captured at start; records published
later are taken in by a background task. New partitions added later are not
picked up (the registry has one; changing that needs a restart). With
``dead_letter=True`` (long-running readers: the coordinator, the API), records that
cannot be used go to ``<topic>.dlq`` once (see ``_dead_letters``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from podium._follow import Ends, describe_topic, open_from_beginning
from podium.pipelines import Pipeline
from podium.registry._catalog import Catalog, CatalogStats
from podium.registry._dead_letters import RegistryDeadLetters
from podium.registry._errors import RegistryTopicMissingError, RegistryUnavailableError
from podium.registry._record import DEFAULT_TOPIC, RegisteredPipeline

log = logging.getLogger("podium.registry")

DEFAULT_START_TIMEOUT = 30.0
_POLL_MS = 500
_RETRY_DELAY = 1.0


class PipelineRegistry:
    """The published pipelines, kept current from the registry topic.

        async with PipelineRegistry(settings.client_kwargs()) as registry:
            pipeline = registry.get("file-ingest")       # latest version
            pinned = registry.get("file-ingest", 1)

    ``start`` returns once everything published before it is read; with
    ``follow=False`` nothing is read after that (a snapshot).
    """

    def __init__(
        self,
        client_kwargs: Mapping[str, Any],
        topic: str = DEFAULT_TOPIC,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        follow: bool = True,
        dead_letter: bool = False,
    ) -> None:
        self.topic = topic
        self._client_kwargs = dict(client_kwargs)
        self._start_timeout = start_timeout
        self._follow = follow
        self._catalog = Catalog()
        self.dead_letters = RegistryDeadLetters(client_kwargs) if dead_letter else None
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Read the registry to its current end (RegistryUnavailableError past the deadline)."""
        consumer, ends = await _open(self._client_kwargs, self.topic)
        self._consumer = consumer
        try:
            await _catch_up_within(consumer, self._take, ends, self._start_timeout, self.topic)
        except BaseException:
            await self.stop()
            raise
        if self._follow:
            self._task = asyncio.create_task(self._follow_forever(consumer))

    async def stop(self) -> None:
        """Stop following and close the consumer; safe to call twice."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await consumer.stop()
        if self.dead_letters is not None:
            await self.dead_letters.stop()

    async def __aenter__(self) -> PipelineRegistry:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def get(self, name: str, version: int | None = None) -> Pipeline:
        """``name`` at ``version`` (the highest published when None); UnknownPipelineError."""
        return self._catalog.get(name, version)

    def entry(self, name: str, version: int | None = None) -> RegisteredPipeline:
        """Like :meth:`get`, with the content hash and publication time."""
        return self._catalog.entry(name, version)

    def list(self) -> list[RegisteredPipeline]:
        """Every published version, sorted by name then version."""
        return self._catalog.list()

    def snapshot(self) -> dict[str, RegisteredPipeline]:
        """Every published version by ``name@version``."""
        return self._catalog.snapshot()

    @property
    def stats(self) -> CatalogStats:
        """Records read, skipped as unreadable, and conflicting (see the catalog's rules)."""
        return self._catalog.stats

    async def _follow_forever(self, consumer: AIOKafkaConsumer) -> None:
        while True:
            try:
                batch = await consumer.getmany(timeout_ms=_POLL_MS)
            except KafkaError as exc:  # keep serving what we have; the broker may come back
                log.warning("reading pipeline registry %s failed, retrying: %s", self.topic, exc)
                await asyncio.sleep(_RETRY_DELAY)
                continue
            self._take(batch)

    def _take(self, batch: Mapping[TopicPartition, Iterable[Any]]) -> None:
        for records in batch.values():
            for record in records:
                error = self._catalog.apply(record.key, record.value)
                if error is not None and self.dead_letters is not None:
                    self.dead_letters.put(record, error)


async def read_registry(
    client_kwargs: Mapping[str, Any],
    topic: str = DEFAULT_TOPIC,
    *,
    timeout: float = DEFAULT_START_TIMEOUT,
) -> dict[str, RegisteredPipeline]:
    """A one-shot snapshot of the registry: every published version by ``name@version``."""
    registry = PipelineRegistry(client_kwargs, topic, start_timeout=timeout, follow=False)
    async with registry:
        return registry.snapshot()


async def _open(client_kwargs: Mapping[str, Any], topic: str) -> tuple[AIOKafkaConsumer, Ends]:
    """A started consumer assigned to every partition of ``topic``, at the beginning."""
    return await open_from_beginning(
        client_kwargs, topic, await _partitions(client_kwargs, topic), "pipeline registry"
    )


async def _partitions(client_kwargs: Mapping[str, Any], topic: str) -> int:
    """The topic's partition count (see :mod:`podium._follow` for why through the admin API)."""
    state = await describe_topic(client_kwargs, topic)
    if state is None:
        raise RegistryTopicMissingError(topic, client_kwargs.get("bootstrap_servers"))
    if state.configs.get("cleanup.policy", "") != "compact":
        log.warning("pipeline registry %s is not compacted: run `podium topics apply`", topic)
    return state.partitions


Take = Callable[[Mapping[TopicPartition, Iterable[Any]]], None]


async def _catch_up_within(
    consumer: AIOKafkaConsumer, take: Take, ends: Ends, timeout: float, topic: str
) -> None:
    try:
        async with asyncio.timeout(timeout):
            await _catch_up(consumer, take, ends)
    except TimeoutError as exc:
        raise RegistryUnavailableError(
            f"could not read pipeline registry {topic} to its end within {timeout:g}s: "
            "is Kafka healthy? (`podium broker status`, `podium topics list`)"
        ) from exc


async def _catch_up(consumer: AIOKafkaConsumer, take: Take, ends: Ends) -> None:
    while not await _reached(consumer, ends):
        take(await consumer.getmany(timeout_ms=_POLL_MS))


async def _reached(consumer: AIOKafkaConsumer, ends: Ends) -> bool:
    for partition, end in ends.items():
        if await consumer.position(partition) < end:
            return False
    return True
