"""Podium's topics as code: ``topics/*.yaml`` -> validated specs -> pure plan -> Kafka.

- ``load_topic_specs`` reads and checks the files (no cluster needed);
- ``plan`` / ``simulate`` are the pure diff and its model of Kafka;
- ``open_topic_admin`` + ``plan_topics`` / ``apply_topics`` talk to a cluster.
"""

from podium.topics._admin import KafkaTopicAdmin, describe_topic, open_topic_admin
from podium.topics._apply import TopicAdmin, apply_topics, plan_topics
from podium.topics._configs import KNOWN_TOPIC_CONFIGS, config_problem
from podium.topics._load import load_topic_specs
from podium.topics._plan import (
    Action,
    AlterConfigs,
    ClusterState,
    ConfigChange,
    CreateTopic,
    IncreasePartitions,
    Plan,
    Refusal,
    TopicState,
    check_replication,
    configs_after,
    copartition_mismatches,
    plan,
    simulate,
)
from podium.topics._render import (
    TopicStatus,
    plan_lines,
    plan_summary,
    status_table,
    topic_statuses,
)
from podium.topics._spec import TopicSpec, TopicSpecs, topic_name_problem

__all__ = [
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
