"""Dead letters: a message a consumer cannot process goes to ``<topic>.dlq``.

The original key, value and headers are kept byte for byte (so it can be
replayed as is), with reason headers added: ``podium-dlq-reason`` (a short
stable code, e.g. a CodecError's ``reason``), ``podium-dlq-error`` (the
message, capped) and where it came from. The caller commits the original offset
only after the dead letter is acknowledged. Never log the payload: it may hold
data the logs must not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from podium.headers import Headers, encode_headers

REASON = "podium-dlq-reason"
ERROR = "podium-dlq-error"
ORIGINAL_TOPIC = "podium-dlq-original-topic"
ORIGINAL_PARTITION = "podium-dlq-original-partition"
ORIGINAL_OFFSET = "podium-dlq-original-offset"
MAX_ERROR = 500


def dlq_topic(topic: str) -> str:
    """The dead-letter twin of ``topic``."""
    return f"{topic}.dlq"


def reason_of(error: BaseException) -> str:
    """A short code: the error's ``reason`` (CodecError has one), else its class name."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) and reason else type(error).__name__


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """What goes to the DLQ for one record."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


class Record(Protocol):
    """The parts of a consumed record (aiokafka's ConsumerRecord) a dead letter needs."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def key(self) -> Any: ...
    @property
    def value(self) -> Any: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...


def dead_letter(record: Record, error: BaseException) -> DeadLetter:
    """The dead letter for ``record``, which failed with ``error``."""
    text = str(error) or type(error).__name__
    added = {
        REASON: reason_of(error),
        ERROR: text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "...",
        ORIGINAL_TOPIC: record.topic,
        ORIGINAL_PARTITION: str(record.partition),
        ORIGINAL_OFFSET: str(record.offset),
    }
    original = [(key, bytes(value)) for key, value in record.headers if value is not None]
    headers = original + encode_headers(added)
    return DeadLetter(dlq_topic(record.topic), record.key, record.value, headers)


class Producer(Protocol):
    async def send_and_wait(
        self, topic: str, value: Any = None, key: Any = None, **kwargs: Any
    ) -> Any: ...


async def send_dead_letter(producer: Producer, record: Record, error: BaseException) -> DeadLetter:
    """Write the dead letter and wait for the broker's acknowledgement."""
    letter = dead_letter(record, error)
    await producer.send_and_wait(
        letter.topic, value=letter.value, key=letter.key, headers=letter.headers
    )
    return letter
