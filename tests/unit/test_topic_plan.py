"""The pure plan: what it does, what it refuses and why, and properties over any states."""

from __future__ import annotations

from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.errors import TopicSpecError
from podium.topics import (
    ClusterState,
    CreateTopic,
    Plan,
    TopicSpec,
    TopicSpecs,
    plan,
    plan_lines,
    plan_summary,
    simulate,
)
from podium.topics._plan import (
    AlterConfigs,
    ConfigChange,
    IncreasePartitions,
    Refusal,
    TopicState,
    check_replication,
)


def spec(name: str, partitions: int = 3, rf: int = 1, **configs: str) -> TopicSpec:
    return TopicSpec(
        name=name,
        partitions=partitions,
        replication_factor=rf,
        configs={k.replace("_", "."): v for k, v in configs.items()},
        locations={"replication_factor": f"topics/{name}.yaml: topics[0].replication_factor"},
    )


def state(name: str, partitions: int = 3, rf: int = 1, **configs: str) -> TopicState:
    return TopicState(
        name=name,
        partitions=partitions,
        replication_factor=rf,
        configs={k.replace("_", "."): v for k, v in configs.items()},
    )


def cluster(*topics: TopicState, brokers: int = 1) -> ClusterState:
    return ClusterState(broker_count=brokers, topics={t.name: t for t in topics})


def specs(*items: TopicSpec) -> TopicSpecs:
    return TopicSpecs(topics=items)


def test_a_missing_topic_is_created_as_declared() -> None:
    result = plan(specs(spec("a", 6, retention_ms="1000")), cluster())
    assert result.actions == (
        CreateTopic(
            topic="a", partitions=6, replication_factor=1, configs={"retention.ms": "1000"}
        ),
    )
    assert plan_lines(result) == [
        "+ create a: 6 partitions, replication factor 1, retention.ms=1000"
    ]


def test_more_partitions_are_added() -> None:
    result = plan(specs(spec("a", 6)), cluster(state("a", 3)))
    assert result.actions == (IncreasePartitions(topic="a", current=3, desired=6),)
    assert plan_lines(result) == ["~ a: partitions 3 -> 6"]


def test_fewer_partitions_are_refused_with_the_reason() -> None:
    result = plan(specs(spec("a", 3)), cluster(state("a", 6)))
    assert result.actions == ()
    assert plan_lines(result) == [
        "! a: refused: partitions 6 -> 3 would need recreating the topic; "
        "Kafka cannot shrink a topic's partitions"
    ]


def test_a_replication_change_of_an_existing_topic_is_refused() -> None:
    result = plan(specs(spec("a", rf=3)), cluster(state("a", rf=1), brokers=3))
    assert result.actions == ()
    assert result.refusals[0].reason.startswith("replication factor 1 -> 3 of an existing topic")


def test_only_declared_configs_that_differ_are_changed() -> None:
    desired = specs(spec("a", retention_ms="2000", cleanup_policy="delete"))
    actual = cluster(state("a", retention_ms="1000", cleanup_policy="delete", segment_ms="9"))
    result = plan(desired, actual)
    assert result.actions == (
        AlterConfigs(
            topic="a", changes=(ConfigChange(key="retention.ms", current="1000", desired="2000"),)
        ),
    )
    assert plan_lines(result) == ["~ a: config retention.ms: 1000 -> 2000"]


def test_a_config_left_to_the_broker_default_shows_as_unset() -> None:
    result = plan(specs(spec("a", cleanup_policy="compact")), cluster(state("a")))
    assert plan_lines(result) == ["~ a: config cleanup.policy: (unset) -> compact"]


def test_topics_that_are_not_declared_are_left_alone() -> None:
    result = plan(specs(spec("a")), cluster(state("a"), state("unmanaged", 1)))
    assert result == Plan()
    assert plan_summary(result) == "No changes: the cluster matches the topic files."


def test_summary_counts_creates_changes_and_refusals() -> None:
    desired = specs(spec("a"), spec("b", 6), spec("c", 1))
    result = plan(desired, cluster(state("b", 3), state("c", 2)))
    assert plan_summary(result) == "Plan: 1 to create, 1 to change, 1 refused."
    assert plan_summary(result, done=True) == "Applied: 1 created, 1 changed, 1 refused."


def test_creating_more_replicas_than_brokers_is_an_error_naming_file_and_field() -> None:
    desired = specs(spec("a", rf=3))
    actual = cluster(brokers=1)
    with pytest.raises(TopicSpecError) as caught:
        check_replication(plan(desired, actual), desired, actual)
    assert str(caught.value).startswith(
        "topics/a.yaml: topics[0].replication_factor: replication factor 3 of a is more than "
        "the 1 broker(s) in the cluster"
    )


def test_enough_brokers_pass_the_replication_check() -> None:
    desired = specs(spec("a", rf=3))
    actual = cluster(brokers=3)
    check_replication(plan(desired, actual), desired, actual)


# --- properties -------------------------------------------------------------

NAMES = ["a", "b", "c", "d", "e"]
KEYS = ["retention.ms", "cleanup.policy", "segment.ms", "max.message.bytes"]
VALUES = ["1", "2", "delete", "compact"]

configs_st = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=3)


@st.composite
def desired_st(draw: st.DrawFn) -> TopicSpecs:
    names = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=5))
    return TopicSpecs(
        topics=tuple(
            TopicSpec(
                name=name,
                partitions=draw(st.integers(1, 8)),
                replication_factor=draw(st.integers(1, 3)),
                configs=draw(configs_st),
            )
            for name in names
        )
    )


@st.composite
def actual_st(draw: st.DrawFn) -> ClusterState:
    names = draw(st.lists(st.sampled_from([*NAMES, "x", "y"]), unique=True, max_size=7))
    topics = {
        name: TopicState(
            name=name,
            partitions=draw(st.integers(1, 8)),
            replication_factor=draw(st.integers(1, 3)),
            configs=draw(configs_st),
        )
        for name in names
    }
    return ClusterState(broker_count=3, topics=topics)


@given(desired_st(), actual_st())
def test_after_applying_a_plan_only_refusals_remain(
    desired: TopicSpecs, actual: ClusterState
) -> None:
    first = plan(desired, actual)
    second = plan(desired, simulate(actual, first))
    assert second.actions == ()
    assert second.refusals == first.refusals


@given(desired_st(), actual_st())
def test_a_plan_never_deletes_shrinks_or_re_replicates(
    desired: TopicSpecs, actual: ClusterState
) -> None:
    after = simulate(actual, plan(desired, actual))
    assert set(actual.topics) <= set(after.topics)
    for name, before in actual.topics.items():
        assert after.topics[name].partitions >= before.partitions
        assert after.topics[name].replication_factor == before.replication_factor


@given(desired_st(), actual_st())
def test_configs_that_are_not_declared_survive(desired: TopicSpecs, actual: ClusterState) -> None:
    after = simulate(actual, plan(desired, actual))
    declared = {s.name: set(s.configs) for s in desired.topics}
    for name, before in actual.topics.items():
        for key, value in before.configs.items():
            if key not in declared.get(name, set()):
                assert after.topics[name].configs[key] == value


@given(desired_st(), actual_st(), st.randoms())
def test_plans_are_sorted_and_do_not_depend_on_file_order(
    desired: TopicSpecs, actual: ClusterState, rnd: Random
) -> None:
    shuffled = list(desired.topics)
    rnd.shuffle(shuffled)
    result = plan(desired, actual)
    assert plan(TopicSpecs(topics=tuple(shuffled)), actual) == result
    order = {"create": 0, "partitions": 1, "configs": 2}
    keys = [(a.topic, order[a.kind]) for a in result.actions]
    assert keys == sorted(keys)
    assert list(result.refusals) == sorted(result.refusals, key=lambda r: (r.topic, r.reason))


@given(desired_st(), actual_st())
def test_every_refusal_is_a_shrink_or_replication_change(
    desired: TopicSpecs, actual: ClusterState
) -> None:
    for refusal in plan(desired, actual).refusals:
        assert isinstance(refusal, Refusal)
        assert refusal.reason.startswith(("partitions ", "replication factor "))
        assert refusal.topic in actual.topics


def test_a_refused_shrink_that_breaks_copartitioning_is_warned_about() -> None:
    desired = TopicSpecs(
        topics=(spec("runs", 3), spec("results", 3)),
        copartitioned={"run-keyed": ("runs", "results")},
    )
    result = plan(desired, cluster(state("runs", 6), state("results", 2)))
    assert plan_lines(result)[-1] == (
        "! co-partitioned group run-keyed differs on the cluster: runs has 6, results has 3 "
        "partitions"
    )


def test_copartitioned_topics_that_will_match_give_no_warning() -> None:
    desired = TopicSpecs(
        topics=(spec("runs", 6), spec("results", 6)),
        copartitioned={"run-keyed": ("runs", "results")},
    )
    assert plan(desired, cluster(state("runs", 6), state("results", 3))).warnings == ()
