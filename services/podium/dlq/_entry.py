"""A dead message as read back from a DLQ topic: what ``podium dlq list`` shows.

Pure: a consumed DLQ record (any object with aiokafka's record attributes) ->
``DlqEntry``, using only the headers :mod:`podium.dlq._letter` writes. The
value itself is never kept whole, only a short preview, so listing a DLQ full
of large messages neither floods the terminal nor prints what logs must not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from podium.contract import RUN_ID, STEP, Headers, header_value
from podium.dlq import _letter as h
from podium.dlq._fit import TRUNCATED
from podium.dlq._reasons import canonical_reason
from podium.dlq._redact import cap, redact

REPLAY_COUNT = "podium-replay-count"
"""How many times this message was replayed from a DLQ (absent: never)."""
REPLAY_OF = "podium-replay-of"
"""``<dlq topic>:<partition>:<offset>`` of the dead letter this message is a replay of."""
PREVIEW_BYTES = 32
PREVIEW_CHARS = 60


@dataclass(frozen=True, slots=True)
class Origin:
    topic: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}]@{self.offset}"


@dataclass(frozen=True, slots=True)
class DlqEntry:
    """One dead letter: where it is, why it is there, where it came from."""

    topic: str
    partition: int
    offset: int
    reason: str
    error: str
    error_class: str | None
    origin: Origin | None
    failed_at: datetime | None
    run_id: str | None
    step: str | None
    group: str | None
    replay_count: int
    replay_of: str | None
    size: int | None
    preview: str
    detail: str | None = None
    """The finer code behind ``reason`` (``podium-dlq-detail``), when there is one."""
    truncated: str | None = None
    """What was cut to make the dead letter fit (``podium-dlq-truncated``); None: whole."""

    @property
    def coordinate(self) -> str:
        """``<dlq topic>:<partition>:<offset>``: what a replay's ``podium-replay-of`` names."""
        return f"{self.topic}:{self.partition}:{self.offset}"


def entry_of(record: Any) -> DlqEntry:
    """The entry for a record read from a DLQ topic."""
    headers: Headers = [(k, bytes(v)) for k, v in record.headers or () if v is not None]
    value = None if record.value is None else bytes(record.value)
    reason, detail = _reason(headers)
    return DlqEntry(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        reason=reason,
        detail=detail,
        error=header_value(headers, h.ERROR) or "",
        error_class=header_value(headers, h.ERROR_CLASS),
        origin=origin_of(headers),
        failed_at=_failed_at(headers, getattr(record, "timestamp", None)),
        run_id=header_value(headers, RUN_ID) or header_value(headers, h.RUN_ID_FROM_KEY),
        step=header_value(headers, STEP),
        group=header_value(headers, h.GROUP),
        replay_count=replay_count(headers),
        replay_of=header_value(headers, REPLAY_OF),
        size=None if value is None else len(value),
        preview=preview(value),
        truncated=header_value(headers, TRUNCATED),
    )


def _reason(headers: Headers) -> tuple[str, str | None]:
    """(reason, detail); a dead letter written before reasons were normalized (its reason
    header holds a finer code or a class name) reads as the normalized reason and detail."""
    written = header_value(headers, h.REASON)
    detail = header_value(headers, h.DETAIL)
    if not written:
        return "unknown", detail
    reason = canonical_reason(written)
    return reason, detail or (written if written != reason else None)


def origin_of(headers: Headers) -> Origin | None:
    """Where the dead letter came from, or None when its headers do not say."""
    topic = header_value(headers, h.ORIGINAL_TOPIC)
    partition = _int(header_value(headers, h.ORIGINAL_PARTITION))
    offset = _int(header_value(headers, h.ORIGINAL_OFFSET))
    if not topic or partition is None or offset is None:
        return None
    return Origin(topic, partition, offset)


def replay_count(headers: Headers) -> int:
    """The message's ``podium-replay-count`` (0 when absent or unreadable)."""
    return max(_int(header_value(headers, REPLAY_COUNT)) or 0, 0)


def preview(value: bytes | None, limit: int = PREVIEW_CHARS) -> str:
    """A short, safe look at a value: printable text (secret-looking values masked), or
    hex when mostly binary."""
    if value is None:
        return "(tombstone)"
    if not value:
        return "(empty)"
    head = value[:PREVIEW_BYTES]
    printable = sum(32 <= b < 127 for b in head)
    if printable >= len(head) * 0.8:
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in head)
    else:
        text = "hex:" + head.hex()
    more = f" ({len(value)} B)" if len(value) > PREVIEW_BYTES else ""
    return cap(redact(text), limit - len(more)) + more  # a value can quote a password too


def age_seconds(entry: DlqEntry, now: datetime) -> float | None:
    return None if entry.failed_at is None else max((now - entry.failed_at).total_seconds(), 0.0)


def human_age(seconds: float | None) -> str:
    """``42s``, ``5m``, ``3h``, ``2d``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def matches(
    entry: DlqEntry,
    *,
    reason: str | None = None,
    run_id: str | None = None,
    offsets: Iterable[str] = (),
) -> bool:
    """Whether ``entry`` passes the filters; ``offsets`` are ``N`` or ``PARTITION:N``;
    ``reason`` matches the reason or the detail (``decode`` or ``truncated``)."""
    wanted = set(offsets)
    if wanted and not {str(entry.offset), f"{entry.partition}:{entry.offset}"} & wanted:
        return False
    if reason is not None and reason not in (entry.reason, entry.detail):
        return False
    return run_id is None or entry.run_id == run_id


def _failed_at(headers: Headers, timestamp_ms: Any) -> datetime | None:
    text = header_value(headers, h.FAILED_AT)
    if text:
        try:
            return datetime.fromisoformat(text).astimezone(UTC)
        except ValueError:
            pass
    if isinstance(timestamp_ms, int) and timestamp_ms > 0:
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    return None


def _int(text: str | None) -> int | None:
    try:
        return None if text is None else int(text)
    except ValueError:
        return None
