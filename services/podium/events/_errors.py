"""Why a team's record could not be read, as codec errors with stable ``reason`` codes.

They are :class:`podium.codec.DecodeError`\\ s (the record itself is bad: dead-letter
it where a DLQ was declared, count it otherwise), except
:class:`SchemaRegistryUnavailable`, which says nothing about the record: the read is
retried, the record kept.
"""

from __future__ import annotations

from podium.codec import DecodeError
from podium.errors import BrokerError


class NotJsonError(DecodeError):
    """The value is not UTF-8 JSON, or not a JSON object."""

    reason = "not-json"


class NotConfluentFramingError(DecodeError):
    """The value does not start with Confluent's magic byte 0 and a 4-byte schema id."""

    reason = "not-confluent-framing"


class UnknownSchemaIdError(DecodeError):
    """The Schema Registry has no schema under the record's id (404)."""

    reason = "unknown-schema-id"

    def __init__(self, schema_id: int, registry: str) -> None:
        super().__init__(f"schema id {schema_id} is not in the Schema Registry at {registry}")
        self.schema_id = schema_id


class UnsupportedSchemaError(DecodeError):
    """A registered schema Podium cannot read (Protobuf, or Avro with references)."""

    reason = "unsupported-schema"


class SchemaRegistryUnavailable(BrokerError):
    """The Schema Registry did not answer (network, 5xx, auth): retry, keep the record."""

    retryable = True
