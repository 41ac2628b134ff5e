"""Where a trigger partition new to the group starts reading: no event stamped after the
trigger's ``from`` is skipped, even one that lands while the position is being found."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from aiokafka import TopicPartition

from podium.codec import Codec
from podium.pipelines import Pipeline
from podium.triggers._events import EventTriggers
from podium.triggers._send import TriggerStats
from podium.triggers._start import TriggerKey

TOPIC = "orders"
PUBLISHED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
PIPELINE = Pipeline.model_validate(
    {
        "name": "orders",
        "version": 1,
        "triggers": [{"type": "event", "topic": TOPIC, "format": "json"}],
        "steps": [{"name": "ship", "service": "shipping"}],
    }
)


class RacingConsumer:
    """A partition with no record since ``from`` when asked by time, and one more record
    appended right after that answer (a producer racing the placement)."""

    def __init__(self) -> None:
        self.end = 3
        self.position: int | None = None

    async def committed(self, partition: TopicPartition) -> None:
        return None

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(partitions, self.end)

    async def offsets_for_times(self, stamps: dict[TopicPartition, int]) -> dict[Any, None]:
        answer = dict.fromkeys(stamps)
        self.end += 1  # the new event lands now, at offset 3
        return answer

    async def seek_to_end(self, partition: TopicPartition) -> None:
        self.position = self.end  # aiokafka resolves it later: past the new event

    async def seek_to_beginning(self, partition: TopicPartition) -> None:
        self.position = 0

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.position = offset


async def test_an_event_landing_while_the_partition_is_placed_is_read() -> None:
    consumer = RacingConsumer()
    published = {TriggerKey.of(PIPELINE, PIPELINE.triggers[0]): PUBLISHED}  # type: ignore[arg-type]
    triggers = EventTriggers(
        consumer,  # type: ignore[arg-type]
        SimpleNamespace(),  # type: ignore[arg-type]
        Codec(),
        lambda: [PIPELINE],
        clock=lambda: PUBLISHED,
        stats=TriggerStats(),
        poll_s=1.0,
        published=lambda: published,
    )
    await triggers.place_new({TopicPartition(TOPIC, 0)})
    assert consumer.position == 3
