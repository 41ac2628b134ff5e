"""Apply's sequence over an in-memory cluster: check first, act, settle, report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest

from podium.errors import BrokerError, TopicSpecError
from podium.topics import (
    ClusterState,
    CreateTopic,
    Plan,
    TopicSpec,
    TopicSpecs,
    apply_topics,
    simulate,
    status_table,
    topic_statuses,
)
from podium.topics._plan import AlterConfigs, IncreasePartitions, TopicState, configs_after


class MemoryAdmin:
    """A cluster in memory that behaves like Kafka for the three actions."""

    def __init__(self, state: ClusterState, *, lag_describes: int = 0) -> None:
        self.state = state
        self.calls: list[str] = []
        self.sent_configs: dict[str, dict[str, str]] = {}
        self.lag = lag_describes  # describes that still show the old state

    async def describe(self, names: Iterable[str]) -> ClusterState:
        wanted = set(names)
        topics = {n: t for n, t in self.state.topics.items() if n in wanted}
        if self.lag:
            self.lag -= 1
            return ClusterState(broker_count=self.state.broker_count, topics={})
        return ClusterState(broker_count=self.state.broker_count, topics=topics)

    async def create(self, action: CreateTopic) -> None:
        self.calls.append(f"create {action.topic}")
        self.state = simulate(self.state, Plan(actions=(action,)))

    async def add_partitions(self, action: IncreasePartitions) -> None:
        self.calls.append(f"partitions {action.topic}")
        self.state = simulate(self.state, Plan(actions=(action,)))

    async def alter_configs(self, action: AlterConfigs, current: Mapping[str, str]) -> None:
        self.calls.append(f"configs {action.topic}")
        # Like Kafka's legacy AlterConfigs: what is sent replaces all topic configs.
        merged = configs_after(current, action)
        self.sent_configs[action.topic] = merged
        topic = self.state.topics[action.topic].model_copy(update={"configs": merged})
        self.state = ClusterState(
            broker_count=self.state.broker_count, topics={**self.state.topics, action.topic: topic}
        )


def spec(
    name: str, partitions: int, rf: int = 1, configs: dict[str, str] | None = None
) -> TopicSpec:
    return TopicSpec(
        name=name,
        partitions=partitions,
        replication_factor=rf,
        configs=configs or {},
        locations={"replication_factor": "topics/x.yaml: topics[0].replication_factor"},
    )


async def test_apply_does_every_action_and_a_second_apply_does_nothing() -> None:
    existing = TopicState(name="b", partitions=2, replication_factor=1, configs={"segment.ms": "9"})
    admin = MemoryAdmin(ClusterState(broker_count=1, topics={"b": existing}))
    desired = TopicSpecs(topics=(spec("a", 3), spec("b", 4, configs={"retention.ms": "5"})))
    done = await apply_topics(admin, desired)
    assert admin.calls == ["create a", "partitions b", "configs b"]
    assert admin.sent_configs["b"] == {"segment.ms": "9", "retention.ms": "5"}
    assert len(done.actions) == 3
    again = await apply_topics(admin, desired)
    assert again == Plan()
    assert admin.calls == ["create a", "partitions b", "configs b"]


async def test_too_many_replicas_fails_before_any_change() -> None:
    admin = MemoryAdmin(ClusterState(broker_count=1))
    desired = TopicSpecs(topics=(spec("a", 1), spec("b", 1, rf=3)))
    with pytest.raises(TopicSpecError, match=r"topics/x.yaml: topics\[0\].replication_factor"):
        await apply_topics(admin, desired)
    assert admin.calls == []


async def test_apply_waits_until_the_cluster_shows_the_changes() -> None:
    # Metadata that lags a few reads behind the create: apply returns only once it shows it.
    admin = MemoryAdmin(ClusterState(broker_count=1))
    original_create = admin.create

    async def create_then_lag(action: CreateTopic) -> None:
        await original_create(action)
        admin.lag = 3

    admin.create = create_then_lag  # type: ignore[method-assign]
    await apply_topics(admin, TopicSpecs(topics=(spec("a", 1),)))
    assert admin.lag == 0


async def test_apply_fails_clearly_when_the_cluster_never_shows_the_change() -> None:
    admin = MemoryAdmin(ClusterState(broker_count=1))
    original_create = admin.create

    async def create_then_lag(action: CreateTopic) -> None:
        await original_create(action)
        admin.lag = 10**6

    admin.create = create_then_lag  # type: ignore[method-assign]
    with pytest.raises(BrokerError, match=r"did not show the changes within 0\.2s: a"):
        await apply_topics(admin, TopicSpecs(topics=(spec("a", 1),)), settle_timeout=0.2)


def test_status_table_marks_missing_and_differing_topics() -> None:
    desired = TopicSpecs(
        topics=(spec("a", 3), spec("bb", 6, configs={"retention.ms": "5"}), spec("c", 1))
    )
    actual = ClusterState(
        broker_count=1,
        topics={
            "bb": TopicState(
                name="bb", partitions=3, replication_factor=1, configs={"retention.ms": "7"}
            ),
            "c": TopicState(name="c", partitions=1, replication_factor=1),
        },
    )
    assert status_table(topic_statuses(desired, actual)) == [
        "TOPIC  STATE    PARTITIONS  RF          CONFIGS",
        "a      missing  - (want 3)  - (want 1)  -",
        "bb     differs  3 (want 6)  1           retention.ms=7 (want 5)",
        "c      ok       1           1           -",
    ]
