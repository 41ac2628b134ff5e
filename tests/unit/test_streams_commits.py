"""A serving loop commits done offsets at most every ``interval_s`` (a commit per record was
a third of a busy service's CPU), every done offset still gets committed, a failed commit
is retried, and a revoke commits before the partitions go."""

from __future__ import annotations

import logging

from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import TopicPartition

from podium.streams import GroupCommits
from podium.streams.testing import MemoryBroker, MemoryTransport

TP = TopicPartition("podium.steps.noop", 0)
GROUP = "podium-service-noop"
INTERVAL_S = 0.2
LOG = logging.getLogger("test")


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _commits(broker: MemoryBroker) -> list[dict[TopicPartition, int]]:
    return [offsets for group, offsets in broker.commits if group == GROUP]


async def _serve(seconds_per_fetch: float, fetches: int = 40) -> MemoryBroker:
    """Each fetch takes ``seconds_per_fetch`` and finishes one more offset (as a finished
    handler would); then the loop stops, which commits."""
    broker, clock = MemoryBroker({TP.topic: 1}), _Clock()
    consumer = MemoryTransport(broker).consumer(group_id=GROUP)
    commits = GroupCommits(consumer, interval_s=INTERVAL_S, what="noop", log=LOG, clock=clock)
    for offset in range(fetches):
        clock.now += seconds_per_fetch
        commits.tracker.started(TP, offset)
        commits.tracker.finished(TP, offset)
        await commits.commit_if_due()
    await commits.commit()  # what stopping does
    return broker


async def test_a_busy_loop_commits_a_few_times_not_once_per_fetch() -> None:
    commits = _commits(await _serve(seconds_per_fetch=0.01))  # 40 fetches in 0.4 s
    assert 2 <= len(commits) <= 4
    assert commits[-1] == {TP: 40}  # everything done is committed in the end


async def test_a_slow_loop_still_commits_after_every_fetch() -> None:
    commits = _commits(await _serve(seconds_per_fetch=INTERVAL_S))
    assert len(commits) == 40
    assert [c[TP] for c in commits] == list(range(1, 41))


class _FailingOnce:
    """A consumer whose first commit fails, as one during a broker outage does."""

    def __init__(self) -> None:
        self.calls: list[dict[TopicPartition, int]] = []

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.calls.append(dict(offsets))
        if len(self.calls) == 1:
            raise KafkaConnectionError("broker away")


async def test_a_failed_commit_is_retried_by_the_next_one() -> None:
    consumer = _FailingOnce()
    commits = GroupCommits(consumer, interval_s=INTERVAL_S, what="noop", log=LOG)
    commits.tracker.started(TP, 0)
    commits.tracker.finished(TP, 0)
    await commits.commit()
    await commits.commit()
    assert consumer.calls == [{TP: 1}, {TP: 1}]
    await commits.commit()  # nothing moved since the acknowledged one
    assert len(consumer.calls) == 2


async def test_a_revoke_commits_what_is_done_and_forgets_the_partition() -> None:
    broker = MemoryBroker({TP.topic: 1})
    consumer = MemoryTransport(broker).consumer(group_id=GROUP)
    commits = GroupCommits(consumer, interval_s=60, what="noop", log=LOG)
    for offset in (0, 1):
        commits.tracker.started(TP, offset)
    commits.tracker.finished(TP, 0)
    await commits.listener().on_partitions_revoked({TP})
    assert broker.committed[GROUP] == {TP: 1}  # 1 still runs: it is redelivered elsewhere
    commits.tracker.finished(TP, 1)  # its late completion moves nothing here
    assert commits.tracker.committable() == {}
