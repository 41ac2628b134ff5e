"""Pins podium.topics' public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium.topics


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium.topics.__all__) == sorted(
        [
            "KNOWN_TOPIC_CONFIGS",
            "Action",
            "AlterConfigs",
            "ClusterState",
            "ConfigChange",
            "CreateTopic",
            "IncreasePartitions",
            "KafkaTopicAdmin",
            "Plan",
            "Refusal",
            "TopicAdmin",
            "TopicSpec",
            "TopicSpecs",
            "TopicState",
            "TopicStatus",
            "apply_topics",
            "check_replication",
            "config_problem",
            "configs_after",
            "copartition_mismatches",
            "describe_topic",
            "load_topic_specs",
            "open_topic_admin",
            "plan",
            "plan_lines",
            "plan_summary",
            "plan_topics",
            "simulate",
            "status_table",
            "topic_name_problem",
            "topic_statuses",
        ]
    )
    for name in podium.topics.__all__:
        assert getattr(podium.topics, name) is not None
