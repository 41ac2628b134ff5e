"""Does the broker answer? One metadata request through aiokafka's admin client.

A listening socket is not enough: the broker is usable once it answers a metadata
request that lists itself, which is what every Podium client asks first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

T = TypeVar("T")


async def count_brokers(bootstrap: str, timeout: float) -> int:
    """How many brokers the cluster at ``bootstrap`` reports (raises when it does not answer)."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="podium-broker-probe",
        request_timeout_ms=max(1000, int(timeout * 1000)),
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        cluster = await asyncio.wait_for(admin.describe_cluster(), timeout)
    finally:
        await admin.close()
    return len(cluster["brokers"])


def broker_answers(bootstrap: str, timeout: float = 5.0) -> bool:
    """Whether the broker at ``bootstrap`` answers a metadata request within ``timeout``."""
    try:
        with _quiet_aiokafka():
            return run_blocking(count_brokers(bootstrap, timeout)) > 0
    except (TimeoutError, KafkaError, OSError):
        return False


def run_blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion, also when called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@contextmanager
def _quiet_aiokafka() -> Iterator[None]:
    """While the broker boots, refused connections are expected, not worth a log line."""
    logger = logging.getLogger("aiokafka")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
