"""Helpers for tests of Podium and of services built on it.

Random topic names keep tests independent on a shared broker; ``wait_until``
replaces sleep-and-hope with a condition and a deadline.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def random_topic_name(prefix: str = "test") -> str:
    """A topic name no other test uses: ``<prefix>.<12 hex digits>``."""
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


class ConditionTimeout(AssertionError):
    """The awaited condition did not hold by its deadline."""


def wait_until_sync(
    condition: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str = ""
) -> T:
    """Poll ``condition`` until it returns a truthy value (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionTimeout(f"not true within {timeout:.1f}s: {what or condition}")
        time.sleep(interval)


async def wait_until(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout: float,
    interval: float = 0.05,
    what: str = "",
) -> T:
    """Async twin of :func:`wait_until_sync` for coroutine conditions."""
    deadline = time.monotonic() + timeout
    while True:
        value = await condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise ConditionTimeout(f"not true within {timeout:.1f}s: {what or condition}")
        await asyncio.sleep(interval)


async def wait_for_topics(
    client_kwargs: dict[str, object], names: list[str], *, timeout: float = 30.0
) -> None:
    """Wait until every topic in ``names`` shows in the cluster's metadata.

    A topic just created may take a moment to appear in every broker's metadata;
    a reader that lists topics in that moment would call it missing.
    """
    from podium.topics import open_topic_admin

    async def all_there() -> bool:
        async with open_topic_admin(client_kwargs) as admin:
            state = await admin.describe(names)
        return all(name in state.topics for name in names)

    await wait_until(all_there, timeout=timeout, what=f"topics {names} exist")
