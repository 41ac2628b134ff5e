"""Every step's request topic exists before anyone waits on it.

``podium pipelines apply`` creates the request topic of every step (and compensation) it
publishes that the cluster lacks, before publishing: a service started first then finds
its topic, and the coordinator never sends to a topic the broker would auto-create with
one partition (or, with auto-creation off, not at all). A topic that exists is left as
it is (never shrunk, its settings untouched): ``podium topics apply`` owns declared
topics. What to create is decided here, purely; the adapter only describes and creates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from podium.pipelines import Pipeline, StepKind
from podium.topics import ClusterState, CreateTopic, KafkaTopicAdmin, open_topic_admin

MAX_REPLICATION = 3


def request_topics(pipelines: Iterable[Pipeline]) -> list[str]:
    """The request topics of every step and compensation of ``pipelines``, sorted (a
    ``kind: pipeline`` step has none: its requests are child runs on ``podium.runs``)."""
    names = set()
    for pipeline in pipelines:
        for step in pipeline.steps:
            if step.kind is not StepKind.PIPELINE:
                names.add(step.request_topic)
            if step.compensation is not None:
                names.add(step.compensation.request_topic)
    return sorted(names)


def topics_to_create(
    wanted: Sequence[str], cluster: ClusterState, partitions: int
) -> list[CreateTopic]:
    """A CreateTopic for each wanted topic the cluster lacks: ``partitions`` of them, and
    as many replicas as the cluster can hold, up to 3."""
    replication = max(1, min(MAX_REPLICATION, cluster.broker_count))
    return [
        CreateTopic(topic=name, partitions=partitions, replication_factor=replication)
        for name in wanted
        if name not in cluster.topics
    ]


async def ensure_request_topics(
    client_kwargs: Mapping[str, Any], pipelines: Sequence[Pipeline], partitions: int
) -> list[CreateTopic]:
    """Create the missing request topics of ``pipelines``; returns what was created, once
    the cluster's metadata shows it."""
    wanted = request_topics(pipelines)
    async with open_topic_admin(client_kwargs) as admin:
        created = topics_to_create(wanted, await admin.describe(wanted), partitions)
        for action in created:
            await admin.create(action, exists_ok=True)  # a concurrent apply may be first
        if created:
            await _shown(admin, [a.topic for a in created])
    return created


async def _shown(admin: KafkaTopicAdmin, names: list[str], attempts: int = 100) -> None:
    """Wait (up to 10 s) until the metadata shows ``names``: a service or producer started
    right after apply must find them."""
    for _ in range(attempts):
        if set(names) <= set((await admin.describe(names)).topics):
            return
        await asyncio.sleep(0.1)
