"""The read model's Kafka side: follow ``podium.run.events`` and keep the run views current.

Like the pipeline registry's reader, the consumer joins no group: every API
instance and CLI call needs every run, not a share of them. It assigns every
partition, reads from the beginning, and counts as caught up once its position
reaches the end offsets captured at start; a background task keeps following.
Undecodable messages are skipped, logged, counted and dead-lettered to
``<topic>.dlq`` once (a ``DeadLetterSink``: every reader meets them, one entry is enough).
Partitions added after start are not picked up until a restart.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from podium.codec import Codec, CodecError
from podium.contract import Headers, RunRequested, RunStatus, RunStatusChanged, header_value
from podium.dlq import DeadLetterSink
from podium.errors import BrokerError
from podium.runs._errors import ReadModelUnavailableError, RunEventsTopicMissingError
from podium.runs._index import Key, RunTable
from podium.runs._page import RunFilter, RunPage, page_runs
from podium.runs._render import DEFAULT_LIMIT
from podium.runs._retention import FinishedRuns
from podium.runs._stats import RECENT_RUNS, RecentStats, recent_stats
from podium.runs._trace import trace_id_of
from podium.runs._view import RunView, apply_to_view, requested_view
from podium.streams import KafkaTransport, TopicFollower
from podium.topics import describe_topic

log = logging.getLogger("podium.runs")

DEFAULT_START_TIMEOUT = 30.0
_POLL_MS = 200

Listener = Callable[[RunStatusChanged], None]
Predicate = Callable[[RunView], bool]


class ReadModel:
    """Every run's view, built from the run events topic and kept current; with
    ``keep_finished_s``, a finished run is forgotten that long after it finished.

    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        view = runs.get(run_id)
        done = await runs.wait_for(run_id, lambda v: v.finished, timeout=60)
    """

    def __init__(
        self,
        client_kwargs: Mapping[str, Any],
        topic: str,
        codec: Codec | None = None,
        *,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        keep_finished_s: float | None = None,
    ) -> None:
        self.topic = topic
        self._finished = (
            FinishedRuns(timedelta(seconds=keep_finished_s)) if keep_finished_s else None
        )
        self.forgotten = 0
        self._client_kwargs = dict(client_kwargs)
        self._codec = codec or Codec()
        self._start_timeout = start_timeout
        self._table = RunTable()
        self._listeners: list[Listener] = []
        self._changed = asyncio.Condition()
        self._follower: TopicFollower | None = None
        self.caught_up = False
        self.applied = 0
        self.skipped = 0
        self.dead_lettered = 0
        self._dead_letters = DeadLetterSink(client_kwargs, run_keyed=True)

    async def start(self) -> None:
        """Read the events to their current end, then keep following in the background."""
        self._follower = TopicFollower(
            KafkaTransport(self._client_kwargs),
            self.topic,
            await _partitions(self._client_kwargs, self.topic),
            self._take,
            what="run events",
            poll_ms=_POLL_MS,
            log=log,
        )
        try:
            await self._catch_up_within(self._follower)
        except BaseException:
            await self.stop()
            raise
        self.caught_up = True
        self._forget_finished()
        self._follower.follow()

    async def stop(self) -> None:
        """Stop following and close the consumer; safe to call twice."""
        follower, self._follower = self._follower, None
        if follower is not None:
            await follower.stop()
        await self._dead_letters.stop()

    async def __aenter__(self) -> ReadModel:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def get(self, run_id: str) -> RunView | None:
        return self._table.get(run_id)

    def list(
        self,
        pipeline: str | None = None,
        status: RunStatus | None = None,
        limit: int = DEFAULT_LIMIT,
        **more: Any,
    ) -> list[RunView]:
        """Runs matching the filters, newest first; ``more`` are ``since``, ``until``
        and ``q`` (see :class:`~podium.runs._page.RunFilter`)."""
        return self.page(limit, pipeline=pipeline, status=status, **more).runs

    def page(self, limit: int = DEFAULT_LIMIT, before: Key | None = None, **wanted: Any) -> RunPage:
        """One page of runs passing the filters ``wanted`` (:class:`RunFilter`'s fields),
        newest first, older than ``before`` (the ``next`` of the page before)."""
        return page_runs(self._table, RunFilter(**wanted), limit, before)

    def recent(self, pipeline: str) -> RecentStats:
        """How the pipeline's last :data:`RECENT_RUNS` finished runs went."""
        return recent_stats(self._table.last_finished(pipeline, RECENT_RUNS))

    def note_requested(self, event: RunRequested) -> None:
        """Show a run requested here as QUEUED until the coordinator's first event for it."""
        if self._table.get(event.run_id) is None:
            self._table.put(requested_view(event))

    def apply(self, event: RunStatusChanged) -> RunView:
        """Fold ``event`` into its run and tell the listeners: what following the topic
        does with each event it decodes."""
        view = self._fold(event)
        self._tell(event)
        return view

    def _fold(self, event: RunStatusChanged, headers: Headers | None = None) -> RunView:
        before = self._table.get(event.run_id)
        view = apply_to_view(before, event)
        if view.trace_id is None:  # the first event that has one names the run's trace
            view = _with_trace(view, header_value(headers, "traceparent"))
        self._table.put(view)
        if self._finished is not None:
            self._finished.note(before, view)
        self.applied += 1
        return view

    def _tell(self, event: RunStatusChanged) -> None:
        for listener in list(self._listeners):
            listener(event)

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event applied from now on; returns its remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def wait_for(self, run_id: str, predicate: Predicate, timeout: float | None) -> RunView:
        """The run's view once ``predicate`` holds for it; TimeoutError after ``timeout`` s."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self._matches(run_id, predicate))
        return self._table.views[run_id]

    def problem(self) -> str | None:
        """Why the model cannot be trusted right now, or None when it is healthy."""
        if not self.caught_up:
            return f"run events {self.topic} not read to their end yet"
        follower = self._follower
        if follower is None or not follower.following:
            return f"not following run events {self.topic}"
        if follower.failing_since is not None:
            failing = time.monotonic() - follower.failing_since
            return f"reading run events {self.topic} has failed for {failing:.0f}s"
        return None

    def _matches(self, run_id: str, predicate: Predicate) -> bool:
        view = self._table.get(run_id)
        return view is not None and predicate(view)

    async def _catch_up_within(self, follower: TopicFollower) -> None:
        try:
            await follower.catch_up(self._start_timeout)
        except TimeoutError as exc:
            raise ReadModelUnavailableError(
                f"could not read run events {self.topic} to their end within "
                f"{self._start_timeout:g}s: is Kafka healthy? (`podium broker status`)"
            ) from exc

    async def _take(self, batch: Mapping[TopicPartition, Iterable[Any]]) -> None:
        for records in batch.values():
            for record in records:
                await self._apply_record(record)
        if self.caught_up:
            self._forget_finished()
        if batch:
            async with self._changed:
                self._changed.notify_all()

    async def _apply_record(self, record: Any) -> None:
        try:
            event = self._codec.decode_event(record.value, RunStatusChanged)
        except CodecError as exc:
            self.skipped += 1
            log.warning("run event %s skipped (%s): %s", _where(record), exc.reason, exc)
            await self._dead_letter(record, exc)
            return
        try:
            self._fold(event, record.headers)
        except Exception as exc:  # our bug, met on this record: its DLQ entry, not our exit
            self.skipped += 1
            log.exception("run event %s could not be applied", _where(record))
            await self._dead_letter(record, exc)
            return
        self._tell(event)

    def _forget_finished(self) -> None:
        """Drop the finished runs past the retention (checked every poll: a heap peek).
        Not while catching up: a run's events are all folded first, so a late duplicate
        read after its end cannot bring back a partial view of a forgotten run."""
        if self._finished is None:
            return
        for run_id in self._finished.expired(self._table.views, datetime.now(UTC)):
            self._table.drop(run_id)
            self.forgotten += 1

    async def _dead_letter(self, record: Any, error: Exception) -> None:
        try:
            self.dead_lettered += await self._dead_letters.send(record, error)
        except (KafkaError, BrokerError) as exc:  # not lost: the next reader tries again
            log.warning("run event DLQ write failed: %s", exc)


async def _partitions(client_kwargs: Mapping[str, Any], topic: str) -> int:
    """The partition count (from a full listing, see :mod:`podium.streams._follow`)."""
    state = await describe_topic(client_kwargs, topic)
    if state is None:
        raise RunEventsTopicMissingError(topic, client_kwargs.get("bootstrap_servers"))
    return state.partitions


def _with_trace(view: RunView, traceparent: str | None) -> RunView:
    trace_id = trace_id_of(traceparent)
    return view if trace_id is None else replace(view, trace_id=trace_id)


def _where(record: Any) -> str:
    return f"{record.topic}[{record.partition}]@{record.offset}"
