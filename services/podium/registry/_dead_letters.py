"""Unreadable registry records to ``<registry topic>.dlq``, once, off the reading path.

Every registry reader (each coordinator and API instance) reads the whole topic without a
group, so each meets every bad record: a :class:`DeadLetterSink` writes only those not
already in the DLQ. The writes run in a background task so a slow or missing DLQ topic
never delays reading the registry (start has a deadline). A record still queued when the
reader stops is not lost: it is still on the registry topic, and the next reader tries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from aiokafka.errors import KafkaError

from podium.dlq import DeadLetterSink
from podium.errors import BrokerError

log = logging.getLogger("podium.registry")


class RegistryDeadLetters:
    """A queue of (record, error) drained to the DLQ by one background task."""

    def __init__(self, client_kwargs: Mapping[str, Any]) -> None:
        self._sink = DeadLetterSink(client_kwargs)
        self._queue: asyncio.Queue[tuple[Any, BaseException]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.written = 0

    def put(self, record: Any, error: BaseException) -> None:
        self._queue.put_nowait((record, error))
        if self._task is None:
            self._task = asyncio.create_task(self._drain())

    async def join(self) -> None:
        """Wait until everything queued so far was written (or failed); for tests."""
        await self._queue.join()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._sink.stop()

    async def _drain(self) -> None:
        while True:
            record, error = await self._queue.get()
            try:
                self.written += await self._sink.send(record, error)
            except (KafkaError, BrokerError) as exc:  # the next reader tries again
                log.warning("registry DLQ write failed: %s", exc)
            finally:
                self._queue.task_done()
