"""Reading a large map step's outputs from its pages on a real broker: the reader starts at
the step's start time rather than the beginning of the shared pages topic, and still finds
pages whose timestamps a far-off clock put earlier."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from podium.runs import read_map_outputs
from podium.runs._map_pages import SKEW_MARGIN_MS, read_pages
from podium.settings import KafkaSettings, PodiumSettings, TopicNames
from podium.testing import random_topic_name
from tests.integration.test_registry import create_topic, delete_topic

PREFIX = "run-7/each/1/"
HOUR_MS = 3_600_000


@pytest.fixture
async def settings(kafka_bootstrap: str) -> AsyncIterator[PodiumSettings]:
    topic = random_topic_name("map-pages-it")
    await create_topic(kafka_bootstrap, topic)
    topics = TopicNames(map_pages=topic)
    yield PodiumSettings(kafka=KafkaSettings(bootstrap_servers=kafka_bootstrap), topics=topics)
    await delete_topic(kafka_bootstrap, topic)


async def _write(settings: PodiumSettings, pages: list[tuple[str, list[Any], int]]) -> None:
    producer = AIOKafkaProducer(**settings.client_kwargs())
    await producer.start()
    try:
        for key, outputs, at_ms in pages:
            value = json.dumps({"outputs": outputs}).encode()
            await producer.send_and_wait(
                settings.topics.map_pages, value, key=key.encode(), timestamp_ms=at_ms
            )
    finally:
        await producer.stop()


def _reference(count: int, written_from_ms: int | None) -> dict[str, Any]:
    pages: dict[str, Any] = {"key_prefix": PREFIX, "count": count}
    if written_from_ms is not None:
        pages["written_from_ms"] = written_from_ms
    return {"items": 4, "succeeded": 4, "failed_count": 0, "failed": [], "pages": pages}


OURS = [[[0, "a"], [1, "b"]], [[2, "c"], [3, "d"]]]


async def test_the_reader_skips_the_pages_of_earlier_maps(settings: PodiumSettings) -> None:
    now = int(time.time() * 1000)
    old = [(f"run-{i}/each/1/0", [[0, i]], now - HOUR_MS) for i in range(40)]
    await _write(settings, old + [(f"{PREFIX}{n}", page, now) for n, page in enumerate(OURS)])
    outputs = await read_map_outputs(settings, _reference(2, now))
    assert outputs == ["a", "b", "c", "d"]
    read = await read_pages(settings, PREFIX, 30.0, now - SKEW_MARGIN_MS)
    assert read.scanned == 2 and sorted(read.found) == [0, 1]
    assert (await read_pages(settings, PREFIX, 30.0)).scanned == 42  # the whole topic


async def test_pages_stamped_by_a_clock_far_behind_are_still_found(
    settings: PodiumSettings,
) -> None:
    now = int(time.time() * 1000)
    await _write(settings, [(f"{PREFIX}{n}", page, now - HOUR_MS) for n, page in enumerate(OURS)])
    assert await read_map_outputs(settings, _reference(2, now)) == ["a", "b", "c", "d"]


async def test_a_reference_without_a_start_time_reads_the_whole_topic(
    settings: PodiumSettings,
) -> None:
    now = int(time.time() * 1000)
    await _write(settings, [(f"{PREFIX}{n}", page, now) for n, page in enumerate(OURS)])
    assert await read_map_outputs(settings, _reference(2, None)) == ["a", "b", "c", "d"]


async def test_a_missing_page_is_an_error_that_says_which(settings: PodiumSettings) -> None:
    now = int(time.time() * 1000)
    await _write(settings, [(f"{PREFIX}0", OURS[0], now)])
    with pytest.raises(ValueError, match=r"map pages \[1\] of 2 are not on the topic"):
        await read_map_outputs(settings, _reference(2, now))
