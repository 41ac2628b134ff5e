"""Plan and apply against a cluster: read, decide (pure), act, then wait until Kafka shows it.

Works over the small ``TopicAdmin`` protocol so the sequence is testable with
an in-memory admin; ``KafkaTopicAdmin`` is the real one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Protocol

from podium.errors import BrokerError
from podium.topics._plan import (
    Action,
    AlterConfigs,
    ClusterState,
    CreateTopic,
    IncreasePartitions,
    Plan,
    check_replication,
    plan,
)
from podium.topics._spec import TopicSpecs

DEFAULT_SETTLE_TIMEOUT_S = 30.0


class TopicAdmin(Protocol):
    """What planning and applying need from a cluster."""

    async def describe(self, names: Iterable[str]) -> ClusterState: ...

    async def create(self, action: CreateTopic) -> None: ...

    async def add_partitions(self, action: IncreasePartitions) -> None: ...

    async def alter_configs(self, action: AlterConfigs, current: Mapping[str, str]) -> None: ...


async def plan_topics(admin: TopicAdmin, desired: TopicSpecs) -> tuple[ClusterState, Plan]:
    """The cluster's state and the plan to reach ``desired``; TopicSpecError if it cannot work."""
    actual = await admin.describe(desired.names())
    the_plan = plan(desired, actual)
    check_replication(the_plan, desired, actual)
    return actual, the_plan


async def apply_topics(
    admin: TopicAdmin, desired: TopicSpecs, *, settle_timeout: float = DEFAULT_SETTLE_TIMEOUT_S
) -> Plan:
    """Perform the plan for ``desired`` and return it (actions done, refusals not done).

    Returns only once the cluster's metadata shows every change, so the next
    command (a producer, ``podium topics plan``) sees the topics as declared.
    """
    actual, the_plan = await plan_topics(admin, desired)
    for action in the_plan.actions:
        await _perform(admin, action, actual)
    if the_plan.actions:
        await _settle(admin, desired, settle_timeout)
    return the_plan


async def _perform(admin: TopicAdmin, action: Action, actual: ClusterState) -> None:
    if isinstance(action, CreateTopic):
        await admin.create(action)
    elif isinstance(action, IncreasePartitions):
        await admin.add_partitions(action)
    else:
        await admin.alter_configs(action, actual.topics[action.topic].configs)


async def _settle(admin: TopicAdmin, desired: TopicSpecs, timeout: float) -> None:
    """Wait until a fresh plan has no actions left (only refusals), or fail at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        pending = plan(desired, await admin.describe(desired.names())).actions
        if not pending:
            return
        if time.monotonic() >= deadline:
            topics = ", ".join(sorted({a.topic for a in pending}))
            raise BrokerError(
                f"applied, but the cluster did not show the changes within {timeout:g}s: {topics}"
            )
        await asyncio.sleep(0.1)
