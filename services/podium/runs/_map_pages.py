"""A map step's outputs in item order, from its output: inline, or read from its pages.

A map step (``for_each``, docs/map.md) whose outputs are small hands them inline
(``outputs``); a larger one hands ``pages: {key_prefix, count}``, pages written on the
compacted map pages topic (``PODIUM_TOPICS__MAP_PAGES``), each ``{"outputs": [[index,
output], ...]}``. ``read_map_outputs`` reads the topic to its end, keeps the pages of that
prefix, and merges them (``merge_pages``, pure); a failed item's output is None.

The reference says when the step started (``written_from_ms``): no page of it is older, so
the reader starts each partition at the first record from ``SKEW_MARGIN_MS`` before that
(records carry their producer's clock, and a coordinator's and a reader's may differ), and
reads what came since rather than the whole topic. Pages still missing then (a clock off
by more than the margin) are looked for in the whole topic before giving up.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from podium._json_limits import read_json
from podium.errors import BrokerError
from podium.settings import PodiumSettings
from podium.streams import KafkaTransport, TopicFollower
from podium.topics import describe_topic

log = logging.getLogger(__name__)

SKEW_MARGIN_MS = 5 * 60_000
"""How far before the step's start a reader begins: clocks of hosts may differ this much."""


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
    since = reference.get("written_from_ms")
    pages: Mapping[int, Any] = {}
    if isinstance(since, int):
        pages = (await read_pages(settings, prefix, timeout, since - SKEW_MARGIN_MS)).found
    if any(page not in pages for page in range(count)):  # no time, or a clock far off
        pages = (await read_pages(settings, prefix, timeout)).found
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


@dataclass
class PagesRead:
    """The pages of one prefix found on the pages topic, by number, and how many records
    were read to find them."""

    found: dict[int, list[Any]] = field(default_factory=dict)
    scanned: int = 0


async def read_pages(
    settings: PodiumSettings, prefix: str, timeout: float, since_ms: int | None = None
) -> PagesRead:
    """The pages keyed ``<prefix><n>`` on the pages topic, read from its beginning, or
    from the first record of each partition timestamped ``since_ms`` or later."""
    topic, kwargs = settings.topics.map_pages, settings.client_kwargs()
    state = await describe_topic(kwargs, topic)
    if state is None:
        raise BrokerError(f"the map pages topic {topic} does not exist", retryable=False)
    read = PagesRead()

    async def take(batch: Mapping[Any, Iterable[Any]]) -> None:
        for records in batch.values():
            for record in records:
                read.scanned += 1
                key = (record.key or b"").decode("utf-8", "replace")
                if key.startswith(prefix) and key[len(prefix) :].isdigit():
                    read.found[int(key[len(prefix) :])] = read_json(record.value)["outputs"]

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
        await follower.catch_up(timeout, since_ms)
    finally:
        await follower.stop()
    return read
