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

import logging
from collections.abc import Container, Iterable, Mapping
from types import TracebackType
from typing import Any

from aiokafka import TopicPartition

from podium.pipelines import Pipeline
from podium.registry._catalog import Catalog, CatalogStats
from podium.registry._dead_letters import RegistryDeadLetters
from podium.registry._errors import RegistryTopicMissingError, RegistryUnavailableError
from podium.registry._pause import PipelinePause
from podium.registry._record import DEFAULT_TOPIC, RegisteredPipeline
from podium.streams import KafkaTransport, TopicFollower
from podium.topics import describe_topic

log = logging.getLogger("podium.registry")

DEFAULT_START_TIMEOUT = 30.0
_POLL_MS = 500


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
        self._follower: TopicFollower | None = None

    async def start(self) -> None:
        """Read the registry to its current end (RegistryUnavailableError past the deadline)."""
        self._follower = TopicFollower(
            KafkaTransport(self._client_kwargs),
            self.topic,
            await _partitions(self._client_kwargs, self.topic),
            self._take,
            what="pipeline registry",
            poll_ms=_POLL_MS,
            log=log,
        )
        try:
            await self._catch_up_within(self._follower)
        except BaseException:
            await self.stop()
            raise
        if self._follow:
            self._follower.follow()

    async def stop(self) -> None:
        """Stop following and close the consumer; safe to call twice."""
        follower, self._follower = self._follower, None
        if follower is not None:
            await follower.stop()
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

    def pause(self, name: str) -> PipelinePause | None:
        """The last pause or resume applied to ``name`` (None: never paused)."""
        return self._catalog.pause(name)

    @property
    def paused_names(self) -> Container[str]:
        """The paused pipelines' names, a live view kept current while following."""
        return self._catalog.paused_names

    def applied_pause(self, name: str, paused: bool) -> None:
        """This process applied a pause (or resume) of ``name`` itself: take it into account
        now, before its record comes back from the topic."""
        self._catalog.applied_pause(name, paused)

    def snapshot(self) -> dict[str, RegisteredPipeline]:
        """Every published version by ``name@version``."""
        return self._catalog.snapshot()

    @property
    def stats(self) -> CatalogStats:
        """Records read, skipped as unreadable, and conflicting (see the catalog's rules)."""
        return self._catalog.stats

    async def _catch_up_within(self, follower: TopicFollower) -> None:
        try:
            await follower.catch_up(self._start_timeout)
        except TimeoutError as exc:
            raise RegistryUnavailableError(
                f"could not read pipeline registry {self.topic} to its end within "
                f"{self._start_timeout:g}s: is Kafka healthy? "
                "(`podium broker status`, `podium topics list`)"
            ) from exc

    async def _take(self, batch: Mapping[TopicPartition, Iterable[Any]]) -> None:
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


async def _partitions(client_kwargs: Mapping[str, Any], topic: str) -> int:
    """The topic's partition count (from a full listing, see :mod:`podium.streams._follow`)."""
    state = await describe_topic(client_kwargs, topic)
    if state is None:
        raise RegistryTopicMissingError(topic, client_kwargs.get("bootstrap_servers"))
    if state.configs.get("cleanup.policy", "") != "compact":
        log.warning("pipeline registry %s is not compacted: run `podium topics apply`", topic)
    return state.partitions
