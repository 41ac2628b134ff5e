"""Confluent's wire format (pure): ``00 | 4-byte big-endian schema id | payload``.

The payload is Avro binary for Avro schemas and UTF-8 JSON for JSON Schema ones;
Protobuf adds message indexes before its payload (not read here).
"""

from __future__ import annotations

import struct

from podium.events._errors import NotConfluentFramingError

MAGIC_BYTE = 0
HEADER_SIZE = 5


def split_confluent(value: bytes | None) -> tuple[int, bytes]:
    """The schema id and the payload of a Confluent-framed value."""
    if value is None:
        raise NotConfluentFramingError("value is None (a tombstone), not a Confluent record")
    if len(value) < HEADER_SIZE or value[0] != MAGIC_BYTE:
        start = value[:5].hex(" ").upper() or "nothing"
        raise NotConfluentFramingError(
            "value does not start with Confluent's magic byte 00 and a 4-byte schema id "
            f"(starts with {start}); was it written by a Schema Registry serializer?"
        )
    (schema_id,) = struct.unpack(">I", value[1:HEADER_SIZE])
    return schema_id, bytes(value[HEADER_SIZE:])


def confluent_frame(schema_id: int, payload: bytes) -> bytes:
    """A Confluent-framed value (for tests and for services that write them)."""
    return bytes([MAGIC_BYTE]) + struct.pack(">I", schema_id) + payload
