"""A dead letter the broker accepts, whatever the record it holds (pure).

A dead letter is its record plus the reason headers, so a record at the broker's size
limit makes a dead letter over it: the produce is refused on every retry, and the
consumer either stops or never commits past it (seen on ``podium.runs``). Such a letter
is cut to fit ``max_bytes``: the reason headers always stay; the original headers stay in
order while they fit in the room left (one that does not is dropped, a smaller one after
it may still fit); the value keeps its first bytes. Nothing is cut silently: the
``podium-dlq-truncated`` header says what was cut and how large it was, and ``podium dlq
replay`` refuses such a letter (what is left is not the record).
"""

from __future__ import annotations

from podium.contract import Headers, encode_headers

TRUNCATED = "podium-dlq-truncated"
"""Present when the dead letter could not hold its record whole: what was cut, e.g.
``value cut from 1048300 to 1046512 bytes; 1 of 2 headers dropped (1040000 bytes)``."""
RECORD_OVERHEAD = 512
"""Bytes a record costs in a produce beyond its key, value and headers, rounded up (as
the coordinator's budget counts them)."""
HEADER_OVERHEAD = 5
"""Bytes each header costs beyond its name and value (their two length varints)."""
MAX_KEY_BYTES = 16 * 1024
"""A key longer than this is cut too (a run id or a pipeline name is far shorter)."""
NOTE_ROOM = 200
"""Room kept for the ``podium-dlq-truncated`` header itself."""


def letter_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """What a record takes of a produce request, rounded up."""
    size = len(key or b"") + len(value or b"") + RECORD_OVERHEAD
    return size + sum(len(name) + len(data) + HEADER_OVERHEAD for name, data in headers)


def fit_letter(
    key: bytes | None,
    value: bytes | None,
    original: Headers,
    added: Headers,
    max_bytes: int,
) -> tuple[bytes | None, bytes | None, Headers]:
    """(key, value, headers) of a dead letter of at most ``max_bytes``: the record whole
    when it fits beside the ``added`` reason headers, else cut (see the module doc)."""
    if letter_size(key, value, original + added) <= max_bytes:
        return key, value, original + added
    notes: list[str] = []
    if key is not None and len(key) > MAX_KEY_BYTES:
        notes.append(f"key cut from {len(key)} to {MAX_KEY_BYTES} bytes")
        key = key[:MAX_KEY_BYTES]
    room = max_bytes - letter_size(key, b"", added) - NOTE_ROOM
    kept, dropped_bytes = _headers_within(original, room)
    if len(kept) < len(original):
        notes.append(
            f"{len(original) - len(kept)} of {len(original)} headers dropped "
            f"({dropped_bytes} bytes)"
        )
    room -= sum(len(name) + len(data) + HEADER_OVERHEAD for name, data in kept)
    if value is not None and len(value) > room:
        notes.append(f"value cut from {len(value)} to {max(room, 0)} bytes")
        value = value[: max(room, 0)]
    return key, value, kept + added + encode_headers({TRUNCATED: "; ".join(notes)})


def _headers_within(headers: Headers, room: int) -> tuple[Headers, int]:
    """The headers kept, in order, while they fit in ``room``; and the bytes dropped."""
    kept: Headers = []
    dropped = 0
    for name, data in headers:
        size = len(name) + len(data) + HEADER_OVERHEAD
        if size <= room:
            kept.append((name, data))
            room -= size
        else:
            dropped += size
    return kept, dropped
