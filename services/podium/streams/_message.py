"""What the runtime produces: one message, as the handlers hand it to the outbox."""

from __future__ import annotations

from dataclasses import dataclass

from podium._speedups.frozen import fast_frozen_init

Headers = list[tuple[str, bytes]]
"""Kafka headers as aiokafka gives and takes them (a list: a tuple silently gets nothing
from OpenTelemetry's propagator)."""


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to produce."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers
