"""The lag monitor: samples the groups on an interval and keeps each group's window.

The shell around the pure parts: :class:`KafkaLagSource` does the I/O, ``_mapping``
says which groups are Podium's and what they serve, ``_status`` judges each window. A
failed sample (the broker down) is logged and the last report kept, with its time, so a
monitor in the API never takes the API down with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from podium.errors import BrokerError
from podium.lag._dlq import DlqRead, DlqTally, depths, fold
from podium.lag._history import History, with_report
from podium.lag._kafka import GroupOffsets, partition_samples
from podium.lag._mapping import GroupNaming, StepTopics, identify, is_podium_group, step_topics
from podium.lag._model import DlqDepth, GroupIdentity, GroupSample, LagReport
from podium.lag._settings import LagSettings
from podium.lag._status import Window, group_lag, slide
from podium.pipelines import Pipeline

log = logging.getLogger("podium.lag")

Peek = Mapping[TopicPartition, int]


class LagSource(Protocol):
    """What the monitor reads (``KafkaLagSource`` fits; tests may give a fake)."""

    async def group_names(self) -> list[str]: ...

    async def offsets(self, groups: Sequence[str]) -> list[GroupOffsets]: ...

    async def end_offsets(
        self, partitions: Iterable[TopicPartition]
    ) -> dict[TopicPartition, int]: ...

    async def timestamps_at(
        self, offsets: Peek, ends: Peek, timeout_s: float
    ) -> dict[TopicPartition, int | None]: ...

    async def read_dlqs(
        self, positions: Mapping[TopicPartition, int], timeout_s: float
    ) -> dict[TopicPartition, DlqRead]: ...


def peek_rounds(wanted: Iterable[tuple[TopicPartition, int]]) -> list[dict[TopicPartition, int]]:
    """Offsets to read, split so no round names a partition twice (two groups on one
    topic at different offsets need two reads of it)."""
    rounds: list[dict[TopicPartition, int]] = []
    for partition, offset in sorted(set(wanted)):
        free = next((r for r in rounds if partition not in r), None)
        if free is None:
            free = {}
            rounds.append(free)
        free[partition] = offset
    return rounds


def advance(
    windows: Mapping[str, Window], samples: Iterable[GroupSample], window_s: float
) -> dict[str, Window]:
    """Each sampled group's window with its new sample; groups not sampled are dropped
    (deleted, or no longer Podium's)."""
    return {s.group: slide(windows.get(s.group, ()), s, window_s) for s in samples}


class LagMonitor:
    """Every Podium consumer group's lag, refreshed by :meth:`sample` or :meth:`run`."""

    def __init__(
        self,
        source: LagSource,
        pipelines: Callable[[], Iterable[Pipeline]],
        settings: LagSettings | None = None,
        naming: GroupNaming | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source
        self.pipelines = pipelines
        self.settings = settings or LagSettings()
        self.naming = naming or GroupNaming()
        self.clock = clock
        self._windows: dict[str, Window] = {}
        self._letters: dict[TopicPartition, DlqTally] = {}
        self._latest: LagReport | None = None
        self._history: History = {}
        self.failure: str | None = None
        """Why the last sample failed; None after a good one."""

    def report(self) -> LagReport | None:
        """The last good report (None before the first sample)."""
        return self._latest

    async def sample(self) -> LagReport:
        """Look at the cluster once; the report covers every Podium group."""
        taken_at = self.clock()
        steps = step_topics(self.pipelines())
        names = await self.source.group_names()
        groups = [g for g in await self.source.offsets(names) if self._watched(g, steps)]
        samples = await self._samples(groups, taken_at)
        window_s = self.settings.window_s
        self._windows = advance(self._windows, samples, window_s)
        reports = [
            group_lag(self._windows[s.group], self._identity(s, steps), window_s) for s in samples
        ]
        ordered = tuple(sorted(reports, key=lambda r: r.group))
        self._latest = LagReport(taken_at, window_s, ordered, await self._dlq_depths())
        self._history = with_report(self._history, self._latest)
        self.failure = None
        return self._latest

    def history(self) -> History:
        """Each group's lag at every sample of the last hour (the dashboard's chart)."""
        return self._history

    async def _dlq_depths(self) -> tuple[DlqDepth, ...]:
        positions = {tp: tally.position for tp, tally in self._letters.items()}
        reads = await self.source.read_dlqs(positions, self.settings.read_timeout_s)
        self._letters = {
            tp: fold(self._letters.get(tp, DlqTally()), read) for tp, read in reads.items()
        }
        return depths(self._letters)

    def _watched(self, group: GroupOffsets, steps: StepTopics) -> bool:
        topics = {tp.topic for tp in group.committed}
        return is_podium_group(group.group, topics, self.naming, steps)

    def _identity(self, sample: GroupSample, steps: StepTopics) -> GroupIdentity:
        topics = {p.topic for p in sample.partitions}
        return identify(sample.group, topics, self.naming, steps)

    async def _samples(self, groups: list[GroupOffsets], taken_at: float) -> list[GroupSample]:
        ends = await self.source.end_offsets(tp for g in groups for tp in g.committed)
        lagging = [(tp, o) for g in groups for tp, o in g.committed.items() if ends.get(tp, 0) > o]
        stamps: dict[tuple[TopicPartition, int], int | None] = {}
        for peek in peek_rounds(lagging):
            found = await self.source.timestamps_at(peek, ends, self.settings.read_timeout_s)
            stamps.update({(tp, peek[tp]): ms for tp, ms in found.items()})
        return [_group_sample(g, ends, stamps, taken_at) for g in groups]

    async def run(self, stop: asyncio.Event) -> None:
        """Sample every ``interval_s`` until ``stop`` is set; failures are kept, not raised."""
        while not stop.is_set():
            try:
                await self.sample()
            except (KafkaError, BrokerError, OSError) as exc:
                self.failure = f"lag sample failed: {exc}"
                log.warning("%s", self.failure)
            except Exception as exc:  # a monitor that dies leaves a stale report forever
                self.failure = f"lag sample failed: {type(exc).__name__}: {exc}"
                log.exception("lag sample failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.interval_s)

    def problem(self) -> str | None:
        """For ``/healthz``-style checks: why the monitor has nothing fresh, if so."""
        return self.failure


def _group_sample(
    group: GroupOffsets,
    ends: Mapping[TopicPartition, int],
    stamps: Mapping[tuple[TopicPartition, int], int | None],
    taken_at: float,
) -> GroupSample:
    own = {tp: ms for (tp, offset), ms in stamps.items() if group.committed.get(tp) == offset}
    partitions = partition_samples(group.committed, ends, own)
    return GroupSample(group.group, taken_at, group.members, partitions)
