"""Dead letters: a message a consumer cannot process goes to ``<topic>.dlq``.

The original key, value and headers are kept byte for byte (so it can be
replayed as is, ``traceparent`` included), and headers saying why and where
from are added after them (all named ``podium-dlq-*``, so a replay can strip
them): the reason (one of :data:`podium.dlq.REASONS`), the detail (the finer
code the failing code knew: a CodecError's own ``reason``, a limit's name, an
exception class; see :mod:`podium.dlq._reasons`), the error's class and message
(redacted, capped), the original topic, partition, offset and timestamp, the
consumer group, the time of failure, and the run id when only the key says it.
The caller commits the original offset only after the dead letter is
acknowledged. Never log the payload: it may hold data the logs must not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from podium.contract import RUN_ID, Headers, encode_headers, header_value
from podium.dlq._fit import fit_letter
from podium.dlq._reasons import canonical_reason, known_code
from podium.dlq._redact import safe_error

PREFIX = "podium-dlq-"
REASON = "podium-dlq-reason"
"""One of ``REASONS``: decode, schema, wrong-type, validation, unknown-pipeline, ..."""
DETAIL = "podium-dlq-detail"
"""The finer code behind the reason (``truncated``, ``max-params-bytes``, ``PoisonMessage``)."""
ERROR = "podium-dlq-error"
ERROR_CLASS = "podium-dlq-error-class"
ORIGINAL_TOPIC = "podium-dlq-original-topic"
ORIGINAL_PARTITION = "podium-dlq-original-partition"
ORIGINAL_OFFSET = "podium-dlq-original-offset"
ORIGINAL_TIMESTAMP = "podium-dlq-original-timestamp"
"""Milliseconds since the epoch, as Kafka stamps records."""
GROUP = "podium-dlq-group"
FAILED_AT = "podium-dlq-failed-at"
"""ISO 8601, UTC."""
ORIGINAL_TRACEPARENT = "podium-dlq-original-traceparent"
"""The record's own ``traceparent`` when the letter carries the failing span's instead."""
RUN_ID_FROM_KEY = "podium-dlq-run-id"
"""The record's key, for run-keyed topics whose record has no ``podium-run-id`` header."""
MAX_ERROR = 500
DLQ_SUFFIX = ".dlq"
DEFAULT_MAX_LETTER_BYTES = 1024 * 1024
"""Largest dead letter written unless told (``PODIUM_LIMITS__MAX_MESSAGE_BYTES``'s default,
which the broker's own default accepts): a larger record is cut to fit (see ``_fit``)."""


def dlq_topic(topic: str) -> str:
    """The dead-letter twin of ``topic``."""
    return f"{topic}{DLQ_SUFFIX}"


def reason_of(error: BaseException) -> str:
    """The error's reason, one of ``REASONS``: its ``reason`` code mapped onto the set
    (CodecError's finer codes included); ``handler`` for an error nobody classified."""
    return canonical_reason(_code(error))


def detail_of(error: BaseException) -> str:
    """What the reason does not say: the error's ``detail``, else its finer code, else (when
    its code is a reason itself, or it has none) its class name."""
    detail = getattr(error, "detail", None)
    if isinstance(detail, str) and detail:
        return detail
    code = _code(error)
    return type(error).__name__ if code == reason_of(error) else code


def _code(error: BaseException) -> str:
    """The error's ``reason`` when it is a known code (ParamError's is free text), else its
    class name."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) and known_code(reason) else type(error).__name__


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """What goes to the DLQ for one record."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


class Record(Protocol):
    """The parts of a consumed record (aiokafka's ConsumerRecord) a dead letter needs.

    A ``timestamp`` attribute (milliseconds) is used when the record has one.
    """

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


def dead_letter(
    record: Record,
    error: BaseException,
    *,
    group: str | None = None,
    run_keyed: bool = False,
    now: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_LETTER_BYTES,
    traceparent: str | None = None,
) -> DeadLetter:
    """The dead letter for ``record``, which failed with ``error`` in consumer ``group``.

    ``traceparent``: the span that failed on it (with tracing on), carried by the letter in
    place of the record's own, which is kept as ``podium-dlq-original-traceparent``.

    ``run_keyed``: the topic is keyed by run id, so the key names the run. ``max_bytes``:
    the largest message the producer may write; a letter that would be larger is cut
    (with a ``podium-dlq-truncated`` header saying what was cut).
    """
    original = [(key, bytes(value)) for key, value in record.headers if value is not None]
    added = _reason_headers(record, error, now or datetime.now(UTC))
    added.update(_context_headers(record, original, group, run_keyed))
    if traceparent is not None:
        original, added = _traced(original, added, traceparent)
    key, value, headers = fit_letter(
        _bytes(record.key), _bytes(record.value), original, encode_headers(added), max_bytes
    )
    return DeadLetter(dlq_topic(record.topic), key, value, headers)


def _traced(
    original: Headers, added: dict[str, str], traceparent: str
) -> tuple[Headers, dict[str, str]]:
    own = header_value(original, "traceparent")
    if own is not None:
        added[ORIGINAL_TRACEPARENT] = own
    kept = [(key, value) for key, value in original if key != "traceparent"]
    return [("traceparent", traceparent.encode("ascii")), *kept], added


def _bytes(data: Any) -> bytes | None:
    return None if data is None else bytes(data)


def _reason_headers(record: Record, error: BaseException, now: datetime) -> dict[str, str]:
    return {
        REASON: reason_of(error),
        DETAIL: detail_of(error),
        ERROR: safe_error(str(error) or type(error).__name__, MAX_ERROR),
        ERROR_CLASS: type(error).__name__,
        ORIGINAL_TOPIC: record.topic,
        ORIGINAL_PARTITION: str(record.partition),
        ORIGINAL_OFFSET: str(record.offset),
        FAILED_AT: now.astimezone(UTC).isoformat(timespec="milliseconds"),
    }


def _context_headers(
    record: Record, original: Headers, group: str | None, run_keyed: bool
) -> dict[str, str]:
    added: dict[str, str] = {}
    timestamp = getattr(record, "timestamp", None)
    if isinstance(timestamp, int) and timestamp >= 0:
        added[ORIGINAL_TIMESTAMP] = str(timestamp)
    if group:
        added[GROUP] = group
    run_id = _key_text(record.key) if run_keyed else None
    if run_id and header_value(original, RUN_ID) is None:
        added[RUN_ID_FROM_KEY] = run_id
    return added


def _key_text(key: Any) -> str | None:
    """The key as text when it is short printable UTF-8 (a run id), else None."""
    if not isinstance(key, bytes | bytearray) or not 0 < len(key) <= 200:
        return None
    try:
        text = bytes(key).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.isprintable() else None


class Producer(Protocol):
    async def send_and_wait(
        self, topic: str, value: Any = None, key: Any = None, **kwargs: Any
    ) -> Any: ...


async def send_dead_letter(
    producer: Producer,
    record: Record,
    error: BaseException,
    *,
    group: str | None = None,
    run_keyed: bool = False,
    max_bytes: int = DEFAULT_MAX_LETTER_BYTES,
    traceparent: str | None = None,
) -> DeadLetter:
    """Write the dead letter and wait for the broker's acknowledgement."""
    letter = dead_letter(
        record,
        error,
        group=group,
        run_keyed=run_keyed,
        max_bytes=max_bytes,
        traceparent=traceparent,
    )
    await producer.send_and_wait(
        letter.topic, value=letter.value, key=letter.key, headers=letter.headers
    )
    return letter
