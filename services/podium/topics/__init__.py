"""Podium's topics as code: ``topics/*.yaml`` -> validated specs -> pure plan -> Kafka.

- ``load_topic_specs`` reads and checks the files (no cluster needed);
- ``plan`` / ``simulate`` are the pure diff and its model of Kafka;
- ``open_topic_admin`` + ``plan_topics`` / ``apply_topics`` talk to a cluster.
"""

from podium.topics._admin import KafkaTopicAdmin, describe_topic, open_topic_admin
from podium.topics._apply import apply_topics, plan_topics
from podium.topics._load import load_topic_specs
from podium.topics._plan import ClusterState, CreateTopic, Plan, plan, simulate
from podium.topics._render import plan_lines, plan_summary, status_table, topic_statuses
from podium.topics._spec import TopicSpec, TopicSpecs

__all__ = [
    "ClusterState",
    "CreateTopic",
    "KafkaTopicAdmin",
    "Plan",
    "TopicSpec",
    "TopicSpecs",
    "apply_topics",
    "describe_topic",
    "load_topic_specs",
    "open_topic_admin",
    "plan",
    "plan_lines",
    "plan_summary",
    "plan_topics",
    "simulate",
    "status_table",
    "topic_statuses",
]
