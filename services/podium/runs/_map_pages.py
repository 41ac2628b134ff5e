"""A map step's outputs in item order, from its output: inline, or read from its pages.

A map step (``for_each``, docs/map.md) whose outputs are small hands them inline
(``outputs``); a larger one hands ``pages: {key_prefix, count}``, pages written on the
compacted map pages topic (``PODIUM_TOPICS__MAP_PAGES``), each ``{"outputs": [[index,
output], ...]}``. ``read_map_outputs`` reads the topic to its end, keeps the pages of that
prefix, and merges them (``merge_pages``, pure); a failed item's output is None.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from podium._json_limits import read_json
from podium.errors import BrokerError
from podium.settings import PodiumSettings
from podium.streams import KafkaTransport, TopicFollower
from podium.topics import describe_topic

log = logging.getLogger(__name__)


async def read_map_outputs(
    settings: PodiumSettings, output: Mapping[str, Any], *, timeout: float = 60.0
) -> list[Any]:
    """The outputs of a map step, in item order, from its ``output`` (what the steps after
    it get as ``upstream[<step>]``). ValueError when a page is missing (the topic's
    retention, or another topic)."""
    if "outputs" in output:
        return list(output["outputs"])
    reference = output["pages"]
    prefix, count = str(reference["key_prefix"]), int(reference["count"])
    pages = await _read_pages(settings, prefix, timeout)
    return merge_pages(pages, int(output["items"]), count)


def merge_pages(pages: Mapping[int, Iterable[Any]], items: int, count: int) -> list[Any]:
    """Pages ``0..count-1`` (each ``[[index, output], ...]``) as one list of ``items``
    outputs in item order, None where no page holds one (a failed item)."""
    missing = [page for page in range(count) if page not in pages]
    if missing:
        raise ValueError(f"map pages {missing} of {count} are not on the topic")
    outputs: list[Any] = [None] * items
    for page in range(count):
        for index, value in pages[page]:
            outputs[int(index)] = value
    return outputs


async def _read_pages(
    settings: PodiumSettings, prefix: str, timeout: float
) -> dict[int, list[Any]]:
    topic, kwargs = settings.topics.map_pages, settings.client_kwargs()
    state = await describe_topic(kwargs, topic)
    if state is None:
        raise BrokerError(f"the map pages topic {topic} does not exist", retryable=False)
    found: dict[int, list[Any]] = {}

    async def take(batch: Mapping[Any, Iterable[Any]]) -> None:
        for records in batch.values():
            for record in records:
                key = (record.key or b"").decode("utf-8", "replace")
                if key.startswith(prefix) and key[len(prefix) :].isdigit():
                    found[int(key[len(prefix) :])] = read_json(record.value)["outputs"]

    follower = TopicFollower(
        KafkaTransport(kwargs),
        topic,
        state.partitions,
        take,
        what="map pages",
        poll_ms=200,
        log=log,
    )
    try:
        await follower.catch_up(timeout)
    finally:
        await follower.stop()
    return found
