"""Committing a consumer group's done offsets, for loops that finish records out of band.

The engine commits inside its transactions; a loop that hands records to tasks (a step
service) or sends something per record (the event triggers) instead says which offsets
it started and finished (:class:`OffsetTracker`), and :class:`GroupCommits` commits the
highest contiguous done position of each partition:

- at most every ``interval_s`` while serving (``commit_if_due``: a commit per record was a
  third of a busy service's CPU), and always on revoke and on stop (``commit``);
- a failed commit is not lost: the positions stay committable and the next call retries
  (at worst the records are redelivered, which these loops absorb);
- :meth:`GroupCommits.listener` commits before a rebalance takes partitions away, then
  forgets them, so a late completion there moves nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import TopicPartition

from podium.streams._offsets import OffsetTracker

OnAssigned = Callable[[set[TopicPartition]], Awaitable[None]]


class GroupCommits:
    """The done offsets of one consumer's partitions, and their commits."""

    def __init__(
        self,
        consumer: Any,
        *,
        interval_s: float,
        what: str,
        log: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tracker: OffsetTracker[TopicPartition] = OffsetTracker()
        self._consumer = consumer
        self._interval_s = interval_s
        self._what = what
        self._log = log
        self._clock = clock
        self._committed_at = -float("inf")

    async def commit_if_due(self) -> None:
        """Commit when ``interval_s`` has passed since the last commit."""
        if self._clock() - self._committed_at >= self._interval_s:
            await self.commit()

    async def commit(self) -> None:
        """Commit every partition's highest contiguous done offset; a failure is logged
        and retried by the next call."""
        self._committed_at = self._clock()
        positions = self.tracker.committable()
        if not positions:
            return
        try:
            await self._consumer.commit(positions)
        except KafkaError as exc:  # e.g. a rebalance: the new owner re-reads them
            what = self._what
            self._log.warning("%s: commit of %s failed (will retry): %s", what, positions, exc)
            return
        self.tracker.committed(positions)

    def listener(self, on_assigned: OnAssigned | None = None) -> ConsumerRebalanceListener:
        """A rebalance listener that commits what is done before partitions go."""
        return _CommitOnRevoke(self, on_assigned)


class _CommitOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, commits: GroupCommits, on_assigned: OnAssigned | None) -> None:
        self.commits = commits
        self.on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Commit what is done before someone else owns these partitions."""
        await self.commits.commit()
        self.commits.tracker.forget(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self.on_assigned is not None:
            await self.on_assigned(assigned)
