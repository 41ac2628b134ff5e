"""Reading a whole topic without a consumer group: the registry and the run read model.

Both keep an in-memory view of a topic from its beginning and then follow it;
both must not name a missing topic to the broker (auto-creation would create
it with the wrong settings), so the partition count comes from a full
metadata listing through the admin API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from podium.errors import BrokerError
from podium.topics import TopicState, open_topic_admin

Ends = dict[TopicPartition, int]


async def describe_topic(client_kwargs: Mapping[str, Any], topic: str) -> TopicState | None:
    """The topic as the cluster has it, or None when it does not exist."""
    async with open_topic_admin(client_kwargs) as admin:
        return (await admin.describe([topic])).topics.get(topic)


async def open_from_beginning(
    client_kwargs: Mapping[str, Any], topic: str, partitions: int, what: str
) -> tuple[AIOKafkaConsumer, Ends]:
    """A started consumer on every partition of ``topic``, at the beginning, with the end
    offsets as of now (what "caught up" means); ``what`` names the topic in errors."""
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer = AIOKafkaConsumer(
        **client_kwargs,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",  # the coordinator writes in transactions
    )
    try:
        await consumer.start()
        consumer.assign(assigned)
        ends: Ends = await consumer.end_offsets(assigned)
        await consumer.seek_to_beginning(*assigned)
    except KafkaError as exc:
        await consumer.stop()
        raise BrokerError(f"cannot read {what} {topic}: {exc}", retryable=True) from exc
    except BaseException:
        await consumer.stop()
        raise
    return consumer, ends
