"""The pure diff between declared topics and a cluster, and its simulation.

``plan(desired, actual)`` only ever adds: it creates topics, raises partition
counts and sets declared config keys. What Kafka cannot do in place (shrink
partitions) or what Podium will not do (delete topics, move replicas) is a
``Refusal`` with the reason, never an action. ``simulate`` applies a plan to a
state without Kafka, so properties like "a second plan is empty" are testable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from podium.errors import TopicSpecError
from podium.topics._spec import TopicSpec, TopicSpecs


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopicState(_Frozen):
    """A topic as the cluster has it. ``configs`` holds only topic-level (dynamic) overrides."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = Field(default_factory=dict)


class ClusterState(_Frozen):
    """What the planner needs to know about a cluster."""

    broker_count: int
    topics: Mapping[str, TopicState] = Field(default_factory=dict)


class CreateTopic(_Frozen):
    kind: Literal["create"] = "create"
    topic: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = Field(default_factory=dict)


class IncreasePartitions(_Frozen):
    kind: Literal["partitions"] = "partitions"
    topic: str
    current: int
    desired: int


class ConfigChange(_Frozen):
    key: str
    current: str | None  # None: not set on the topic, the broker default applies
    desired: str


class AlterConfigs(_Frozen):
    """Set the declared keys that differ; undeclared topic configs are kept as they are."""

    kind: Literal["configs"] = "configs"
    topic: str
    changes: tuple[ConfigChange, ...]


Action = CreateTopic | IncreasePartitions | AlterConfigs


class Refusal(_Frozen):
    topic: str
    reason: str


class Plan(_Frozen):
    """Actions sorted by topic then kind (create, partitions, configs); refusals by topic."""

    actions: tuple[Action, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    # Co-partitioned groups whose counts would still differ on the cluster afterwards
    # (only possible after a refusal); the coordinator will not start on them.
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def in_sync(self) -> bool:
        return not self.actions and not self.refusals


def plan(desired: TopicSpecs, actual: ClusterState) -> Plan:
    """What to do so the cluster has every declared topic as declared, as far as Kafka allows."""
    actions: list[Action] = []
    refusals: list[Refusal] = []
    for spec in desired.topics:
        current = actual.topics.get(spec.name)
        if current is None:
            actions.append(_create(spec))
            continue
        topic_actions, topic_refusals = _diff_topic(spec, current)
        actions += topic_actions
        refusals += topic_refusals
    order = {"create": 0, "partitions": 1, "configs": 2}
    actions.sort(key=lambda a: (a.topic, order[a.kind]))
    refusals.sort(key=lambda r: (r.topic, r.reason))
    the_plan = Plan(actions=tuple(actions), refusals=tuple(refusals))
    after = simulate(actual, the_plan)
    warnings = copartition_mismatches(desired.copartitioned, after)
    return the_plan.model_copy(update={"warnings": tuple(warnings)})


def copartition_mismatches(groups: Mapping[str, Sequence[str]], state: ClusterState) -> list[str]:
    """Groups whose topics on the cluster do not all have the same partition count.

    Run-keyed topics must be co-partitioned so the coordinator can join them
    by run id without repartitioning; it checks this at start with this function.
    """
    problems = []
    for group, members in sorted(groups.items()):
        counts = {name: state.topics[name].partitions for name in members if name in state.topics}
        if len(set(counts.values())) > 1:
            listing = ", ".join(f"{name} has {count}" for name, count in counts.items())
            problems.append(
                f"co-partitioned group {group} differs on the cluster: {listing} partitions"
            )
    return problems


def _create(spec: TopicSpec) -> CreateTopic:
    return CreateTopic(
        topic=spec.name,
        partitions=spec.partitions,
        replication_factor=spec.replication_factor,
        configs=dict(sorted(spec.configs.items())),
    )


def _diff_topic(spec: TopicSpec, current: TopicState) -> tuple[list[Action], list[Refusal]]:
    actions: list[Action] = []
    refusals: list[Refusal] = []
    if spec.partitions > current.partitions:
        actions.append(
            IncreasePartitions(topic=spec.name, current=current.partitions, desired=spec.partitions)
        )
    elif spec.partitions < current.partitions:
        refusals.append(Refusal(topic=spec.name, reason=_shrink_reason(current, spec)))
    if spec.replication_factor != current.replication_factor:
        refusals.append(Refusal(topic=spec.name, reason=_replication_reason(current, spec)))
    changes = _config_changes(spec.configs, current.configs)
    if changes:
        actions.append(AlterConfigs(topic=spec.name, changes=changes))
    return actions, refusals


def _shrink_reason(current: TopicState, spec: TopicSpec) -> str:
    return (
        f"partitions {current.partitions} -> {spec.partitions} would need recreating the "
        "topic; Kafka cannot shrink a topic's partitions"
    )


def _replication_reason(current: TopicState, spec: TopicSpec) -> str:
    return (
        f"replication factor {current.replication_factor} -> {spec.replication_factor} of an "
        "existing topic needs a partition reassignment (kafka-reassign-partitions.sh); "
        "Podium does not move replicas"
    )


def _config_changes(
    desired: Mapping[str, str], current: Mapping[str, str]
) -> tuple[ConfigChange, ...]:
    return tuple(
        ConfigChange(key=key, current=current.get(key), desired=value)
        for key, value in sorted(desired.items())
        if current.get(key) != value
    )


def simulate(state: ClusterState, the_plan: Plan) -> ClusterState:
    """The cluster state after ``the_plan`` is applied to ``state`` (what Kafka would do)."""
    topics = dict(state.topics)
    for action in the_plan.actions:
        topics[action.topic] = _apply_action(topics.get(action.topic), action)
    return ClusterState(broker_count=state.broker_count, topics=topics)


def _apply_action(current: TopicState | None, action: Action) -> TopicState:
    if isinstance(action, CreateTopic):
        return TopicState(
            name=action.topic,
            partitions=action.partitions,
            replication_factor=action.replication_factor,
            configs=action.configs,
        )
    assert current is not None, f"{action.kind} on missing topic {action.topic}"
    if isinstance(action, IncreasePartitions):
        return current.model_copy(update={"partitions": action.desired})
    return current.model_copy(update={"configs": configs_after(current.configs, action)})


def configs_after(current: Mapping[str, str], action: AlterConfigs) -> dict[str, str]:
    """All topic-level configs once ``action`` is done: the current ones plus the changes.

    Kafka's legacy AlterConfigs request (the one aiokafka sends) replaces every
    dynamic config of the topic, so the adapter must send this whole map.
    """
    return {**current, **{change.key: change.desired for change in action.changes}}


def check_replication(the_plan: Plan, desired: TopicSpecs, actual: ClusterState) -> None:
    """Raise, before any change, if a topic to create wants more replicas than there are brokers."""
    by_name = desired.by_name()
    problems = [
        f"{by_name[action.topic].where('replication_factor')}: replication factor "
        f"{action.replication_factor} of {action.topic} is more than the "
        f"{actual.broker_count} broker(s) in the cluster; lower it or pass "
        "--replication-factor"
        for action in the_plan.actions
        if isinstance(action, CreateTopic) and action.replication_factor > actual.broker_count
    ]
    if problems:
        raise TopicSpecError("\nerror: ".join(problems))
