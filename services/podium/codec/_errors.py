"""The codec's errors, under one root so a consumer can route every bad message alike.

Each error says what is wrong in its message and carries data for a dead-letter
queue: ``reason`` is a short stable code (suitable for a DLQ header), and some
errors add the facts they found (fingerprint, schema names)::

    PodiumError
     +-- CodecError                   anything the codec refuses            (reason)
          +-- DecodeError             these bytes cannot become the expected event
          |    +-- NotAvroFramingError     not single-object framing: None (tombstone),
          |    |                           empty value, wrong magic      "not-avro-framing"
          |    +-- TruncatedMessageError   header or body ends early     "truncated"
          |    +-- UnknownFingerprintError writer schema not in registry "unknown-fingerprint"
          |    +-- WrongEventTypeError     decoded X, this topic expects Y "wrong-event-type"
          |    +-- SchemaResolutionError   writer schema cannot be read
          |    |                           with the reader schema        "schema-resolution"
          |    +-- CorruptMessageError     body is not valid for its schema "corrupt-body"
          +-- EncodeError             a record does not fit its schema   "invalid-record"
          +-- SchemaLoadError         a schema file is invalid (also a ConfigError)
                                                                         "invalid-schema"
"""

from __future__ import annotations

from collections.abc import Iterable

from podium.errors import ConfigError, PodiumError


class CodecError(PodiumError):
    """Root of the codec's errors; ``reason`` is a short code for DLQ headers and metrics."""

    reason: str = "codec-error"


class DecodeError(CodecError):
    """Bytes read from a topic cannot become the expected event; route them to the DLQ."""

    reason = "decode-error"


class NotAvroFramingError(DecodeError):
    """The value is not Avro single-object encoded (None/tombstone, empty, wrong magic)."""

    reason = "not-avro-framing"


class TruncatedMessageError(DecodeError):
    """The header or the body ends before the schema says it should."""

    reason = "truncated"


class UnknownFingerprintError(DecodeError):
    """The writer schema's fingerprint is neither a current nor a kept history schema."""

    reason = "unknown-fingerprint"

    def __init__(self, fingerprint_hex: str) -> None:
        super().__init__(
            f"unknown writer schema fingerprint {fingerprint_hex}: no schema in the registry "
            "(current or schemas/history/) has it; add the writer's schema to schemas/history/"
        )
        self.fingerprint = fingerprint_hex


class WrongEventTypeError(DecodeError):
    """The message decodes, but as a type this consumer does not expect."""

    reason = "wrong-event-type"

    def __init__(self, actual: str, expected: Iterable[str]) -> None:
        self.actual = actual
        self.expected = frozenset(expected)
        wanted = " or ".join(sorted(self.expected))
        super().__init__(f"message is a {actual} but this consumer expects {wanted}")


class SchemaResolutionError(DecodeError):
    """The writer schema cannot be resolved to the reader schema (incompatible change)."""

    reason = "schema-resolution"

    def __init__(self, message: str, *, writer: str, reader: str) -> None:
        super().__init__(message)
        self.writer = writer
        self.reader = reader


class CorruptMessageError(DecodeError):
    """The body has the right length but is not valid for its schema."""

    reason = "corrupt-body"


class EncodeError(CodecError):
    """A record does not fit its schema, or the schema name is unknown."""

    reason = "invalid-record"


class SchemaLoadError(CodecError, ConfigError):
    """A schema file is invalid JSON, an invalid schema, or names a type nobody defines."""

    reason = "invalid-schema"
