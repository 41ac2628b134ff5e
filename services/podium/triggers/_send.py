"""Producing what triggers decide: RunRequested records and dead letters.

Every send is awaited until the broker acknowledges it (the producer uses
``acks=all`` and idempotence), so a caller that returns normally may commit
the offset of the record that caused it; a KafkaError means "not sent".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from podium.codec import Codec
from podium.contract import RunRequested
from podium.dlq import DEFAULT_MAX_LETTER_BYTES, Producer, Record, send_dead_letter
from podium.triggers._headers import run_headers


@dataclass
class TriggerStats:
    """Counters of what a TriggerRunner did since it started."""

    events: int = 0
    """Records read from trigger topics."""
    event_runs: int = 0
    """RunRequested produced for events (a redelivered event counts again)."""
    cron_runs: int = 0
    """RunRequested produced for cron ticks (every instance counts its own)."""
    dead_lettered: int = 0
    unmatched: int = 0
    """Events read that no trigger took (not dead-lettered: a team's topic carries more)."""
    undecodable: int = 0
    """Records no trigger's format could read, on topics whose triggers declared no DLQ."""
    registry_unavailable: int = 0
    """Reads that waited for the Schema Registry (the record is read again)."""
    too_old: int = 0
    """Events a trigger matched but skipped: stamped before its ``from``."""
    rejected: int = 0
    """Firings whose params did not fit the pipeline (dead-lettered for events, logged for cron)."""
    unsent: int = 0
    """Sends the broker did not acknowledge; the record is retried, the tick re-checked."""
    errors: int = 0
    """Unexpected errors, logged; the loops carry on."""


class RunSender:
    """Sends RunRequested to the runs topic keyed by run id, and dead letters."""

    def __init__(
        self,
        producer: Any,
        codec: Codec,
        runs_topic: str,
        group: str | None = None,
        max_letter_bytes: int = DEFAULT_MAX_LETTER_BYTES,
    ) -> None:
        self.producer = producer
        self.codec = codec
        self.runs_topic = runs_topic
        self.group = group
        self.max_letter_bytes = max_letter_bytes

    async def send_runs(self, runs: Iterable[RunRequested], trace: Mapping[str, str]) -> int:
        """Send every request and wait for all acknowledgements; returns how many."""
        futures = [await self._send(run, trace) for run in runs]
        await asyncio.gather(*futures)
        return len(futures)

    async def _send(self, run: RunRequested, trace: Mapping[str, str]) -> Any:
        return await self.producer.send(
            self.runs_topic,
            self.codec.encode_event(run),
            key=run.run_id.encode("utf-8"),
            headers=run_headers(run.run_id, trace),
        )

    async def dead_letter(self, record: Record, error: BaseException) -> None:
        """Send ``record`` to ``<topic>.dlq`` with ``error``'s reason headers; wait for the ack."""
        producer: Producer = self.producer
        await send_dead_letter(
            producer, record, error, group=self.group, max_bytes=self.max_letter_bytes
        )
