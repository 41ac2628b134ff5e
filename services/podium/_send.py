"""One acknowledged send from a command or an API call: a record the caller waits for,
whose failure is a ``BrokerError`` that names what was sent where (the caller may retry)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiokafka.errors import KafkaError

from podium.errors import BrokerError


async def send_acked(
    producer: Any,
    topic: str,
    value: bytes,
    key: bytes,
    *,
    what: str,
    headers: Sequence[tuple[str, bytes]] | None = None,
) -> None:
    """``producer.send_and_wait``; a ``KafkaError`` becomes "could not send <what> to <topic>"."""
    try:
        await producer.send_and_wait(topic, value, key=key, headers=headers)
    except KafkaError as exc:
        raise BrokerError(f"could not send {what} to {topic}: {exc}", retryable=True) from exc
