"""Avro single-object framing, separate from the Avro binary body (the converter).

Layout (Avro specification, "Single-object encoding")::

    C3 01 | 8-byte CRC-64-AVRO fingerprint of the writer schema | Avro binary body

The specification defines the fingerprint as a 64-bit integer written
little-endian; :func:`fingerprint_bytes` returns exactly those 8 wire bytes.
Nothing here knows about schemas beyond their fingerprint, so the framing can
be swapped (e.g. for Confluent's) without touching encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastavro.schema import fingerprint as _fastavro_fingerprint

from podium._speedups.frozen import fast_frozen_init
from podium.codec._errors import NotAvroFramingError, TruncatedMessageError

MAGIC = b"\xc3\x01"
FINGERPRINT_SIZE = 8
HEADER_SIZE = len(MAGIC) + FINGERPRINT_SIZE


def fingerprint_bytes(canonical_form: str) -> bytes:
    """The 8 wire bytes of the CRC-64-AVRO fingerprint of a Parsing Canonical Form.

    fastavro returns the hex of the little-endian bytes already (as Java does),
    so the hex is decoded as-is; the unit tests pin this against the spec's algorithm.
    """
    return bytes.fromhex(_fastavro_fingerprint(canonical_form, "CRC-64-AVRO"))


def fingerprint_int(wire: bytes) -> int:
    """The fingerprint as the spec's unsigned 64-bit integer (wire bytes are little-endian)."""
    return int.from_bytes(wire, "little", signed=False)


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class Frame:
    """A framed message split into the writer's fingerprint and the Avro binary body."""

    fingerprint: bytes
    body: bytes

    @property
    def fingerprint_hex(self) -> str:
        """The fingerprint as hex, in wire order (as it appears in a hexdump of the value)."""
        return self.fingerprint.hex()


def frame(fingerprint: bytes, body: bytes) -> bytes:
    """Put the single-object header in front of an Avro binary body."""
    if len(fingerprint) != FINGERPRINT_SIZE:
        raise ValueError(f"a fingerprint has {FINGERPRINT_SIZE} bytes, got {len(fingerprint)}")
    return MAGIC + fingerprint + body


def unframe(data: bytes | bytearray | memoryview | None) -> Frame:
    """Split a framed value, or say precisely why it is not one."""
    if data is None:
        raise NotAvroFramingError("value is None (a tombstone), not an Avro single-object message")
    raw = bytes(data)
    if not raw.startswith(MAGIC[: len(raw)]) or len(raw) < len(MAGIC):
        raise NotAvroFramingError(_not_framed_message(raw))
    if len(raw) < HEADER_SIZE:
        raise TruncatedMessageError(
            f"value ends inside the single-object header: {len(raw)} of {HEADER_SIZE} bytes"
        )
    return Frame(raw[len(MAGIC) : HEADER_SIZE], raw[HEADER_SIZE:])


def _not_framed_message(raw: bytes) -> str:
    if not raw:
        return "value is empty, not an Avro single-object message"
    if MAGIC.startswith(raw):
        return f"value is {len(raw)} byte(s), too short to be an Avro single-object message"
    return (
        f"value does not start with the Avro single-object marker C3 01 "
        f"(starts with {raw[:4].hex(' ').upper()}); was it written without Podium's codec?"
    )
