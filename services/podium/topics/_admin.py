"""The Kafka side: read topic state and perform plan actions with aiokafka's admin client.

Kept thin on purpose: every decision is in ``_plan``; this module only
translates between Kafka's responses and the models, and turns Kafka's
errors into ``BrokerError`` with the topic named.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, KafkaError

from podium.errors import BrokerError
from podium.topics._plan import (
    AlterConfigs,
    ClusterState,
    CreateTopic,
    IncreasePartitions,
    TopicState,
    configs_after,
)

# DescribeConfigs' config_source for a value set on the topic itself (not a broker default).
DYNAMIC_TOPIC_CONFIG = 1
_UNKNOWN_TOPIC = 3


class KafkaTopicAdmin:
    """Topic reads and writes over one started ``AIOKafkaAdminClient``."""

    def __init__(self, client: AIOKafkaAdminClient) -> None:
        self._client = client

    async def describe(self, names: Iterable[str]) -> ClusterState:
        """The state of the named topics that exist, and the number of live brokers."""
        wanted = set(names)
        # Ask for all topics: naming a missing topic in a metadata request lets a broker
        # with auto.create.topics.enable create it, which would defeat the plan.
        metadata = await self._client.describe_topics()
        found = [t for t in metadata if t["topic"] in wanted and t["error_code"] != _UNKNOWN_TOPIC]
        configs = await self._dynamic_configs([t["topic"] for t in found])
        cluster = await self._client.describe_cluster()
        topics = {t["topic"]: _topic_state(t, configs.get(t["topic"], {})) for t in found}
        return ClusterState(broker_count=len(cluster["brokers"]), topics=topics)

    async def _dynamic_configs(self, topics: list[str]) -> dict[str, dict[str, str]]:
        if not topics:
            return {}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in topics]
        responses = await self._client.describe_configs(resources)
        configs: dict[str, dict[str, str]] = {}
        for response in responses:
            for resource in response.to_object()["resources"]:
                _raise_for(resource, resource["resource_name"], "describe configs")
                configs[resource["resource_name"]] = _dynamic_entries(resource["config_entries"])
        return configs

    async def create(self, action: CreateTopic, *, exists_ok: bool = False) -> None:
        """Create the topic; with ``exists_ok``, one created meanwhile by another process
        (two coordinators starting together) is no error: Kafka answers "already exists"
        before its metadata shows the topic, so describing again would not see it."""
        topic = NewTopic(
            action.topic,
            action.partitions,
            action.replication_factor,
            topic_configs=dict(action.configs),
        )
        response = await self._client.create_topics([topic])
        for result in response.to_object()["topic_errors"]:
            if exists_ok and result.get("error_code") == TOPIC_ALREADY_EXISTS:
                continue
            _raise_for(result, action.topic, "create")

    async def add_partitions(self, action: IncreasePartitions) -> None:
        try:
            await self._client.create_partitions({action.topic: NewPartitions(action.desired)})
        except KafkaError as exc:
            raise BrokerError(f"{action.topic}: raising partitions failed: {exc}") from exc

    async def alter_configs(self, action: AlterConfigs, current: Mapping[str, str]) -> None:
        """Send the merged configs: the legacy AlterConfigs request replaces them all."""
        merged = configs_after(current, action)
        resource = ConfigResource(ConfigResourceType.TOPIC, action.topic, merged)
        for response in await self._client.alter_configs([resource]):
            for result in response.to_object()["resources"]:
                _raise_for(result, action.topic, "alter configs")


TOPIC_ALREADY_EXISTS = 36
"""Kafka's error code for a CreateTopics of a topic that exists."""


def _topic_state(metadata: Mapping[str, Any], configs: Mapping[str, str]) -> TopicState:
    partitions = metadata["partitions"]
    replication = max((len(p["replicas"]) for p in partitions), default=0)
    return TopicState(
        name=metadata["topic"],
        partitions=len(partitions),
        replication_factor=replication,
        configs=configs,
    )


def _dynamic_entries(entries: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        entry["config_names"]: entry["config_value"]
        for entry in entries
        if entry["config_source"] == DYNAMIC_TOPIC_CONFIG and entry["config_value"] is not None
    }


def _raise_for(result: Mapping[str, Any], topic: str, what: str) -> None:
    code = result.get("error_code", 0)
    if code:
        message = result.get("error_message") or f"Kafka error code {code}"
        raise BrokerError(f"{topic}: {what} failed: {message}")


@asynccontextmanager
async def open_topic_admin(client_kwargs: Mapping[str, Any]) -> AsyncIterator[KafkaTopicAdmin]:
    """A started admin for the cluster in ``client_kwargs`` (from ``settings.client_kwargs()``).

    Kafka client errors inside the block become ``BrokerError`` naming the cluster.
    """
    address = client_kwargs.get("bootstrap_servers")
    client = AIOKafkaAdminClient(**client_kwargs)
    try:
        await _start(client, address)
        yield KafkaTopicAdmin(client)
    except KafkaError as exc:
        raise BrokerError(f"Kafka at {address}: {exc}") from exc
    finally:
        await client.close()


async def describe_topic(client_kwargs: Mapping[str, Any], topic: str) -> TopicState | None:
    """The topic as the cluster has it, or None when it does not exist (found in a full
    listing: naming a missing topic to the broker could auto-create it)."""
    async with open_topic_admin(client_kwargs) as admin:
        return (await admin.describe([topic])).topics.get(topic)


async def _start(client: AIOKafkaAdminClient, address: object) -> None:
    try:
        await client.start()
    except KafkaConnectionError as exc:
        raise BrokerError(
            f"cannot reach Kafka at {address}: is it running? (`podium broker status`, "
            "or set PODIUM_KAFKA__BOOTSTRAP_SERVERS to your cluster)",
            retryable=True,
        ) from exc
