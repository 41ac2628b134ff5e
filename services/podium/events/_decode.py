"""Teams' own record values to event fields (pure): JSON, own-schema Avro, registered.

Each reader returns a :class:`ForeignEvent` (its Avro type name, if any, and its
fields as JSON-compatible values) or raises a :class:`podium.codec.DecodeError`
whose ``reason`` goes to the DLQ header or the not-decoded counter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastavro import parse_schema

from podium._json_limits import read_json
from podium.codec import (
    UnknownFingerprintError,
    canonical_form,
    decode_body,
    fingerprint_bytes,
    unframe,
)
from podium.events._errors import NotJsonError, UnsupportedSchemaError
from podium.events._values import json_compatible

AVRO = "AVRO"
JSON = "JSON"


@dataclass(frozen=True)
class ForeignEvent:
    """A team's event as a trigger sees it."""

    type_name: str | None
    """The Avro full name (``com.acme.orders.OrderPlaced``); None for JSON."""
    fields: Mapping[str, Any]


def read_json_event(value: bytes | None) -> ForeignEvent:
    """A JSON object's fields; NotJsonError for anything else."""
    if value is None:
        raise NotJsonError("value is None (a tombstone), not a JSON event")
    try:
        parsed = read_json(bytes(value).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise NotJsonError(f"value is not UTF-8 text: {exc}") from exc
    except ValueError as exc:
        raise NotJsonError(f"value is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise NotJsonError(f"value is JSON but not an object (a {type(parsed).__name__})")
    return ForeignEvent(None, parsed)


@dataclass(frozen=True)
class ParsedSchema:
    """A standalone Avro schema, parsed, with its single-object fingerprint."""

    name: str
    parsed: Any
    fingerprint: bytes

    @classmethod
    def of(cls, source: Any) -> ParsedSchema:
        """ValueError (from fastavro) when ``source`` is not a valid standalone schema."""
        parsed = parse_schema(source, _write_hint=False)
        name = parsed.get("name", "") if isinstance(parsed, dict) else ""
        return cls(name, parsed, fingerprint_bytes(canonical_form(parsed)))


@dataclass
class OwnSchemas:
    """The writer schemas a trigger declared, by fingerprint (single-object encoding)."""

    by_fingerprint: dict[bytes, ParsedSchema] = field(default_factory=dict)

    @classmethod
    def of(cls, sources: Iterable[Any]) -> OwnSchemas:
        schemas = [ParsedSchema.of(source) for source in sources]
        return cls({schema.fingerprint: schema for schema in schemas})

    def read(self, value: bytes | None) -> ForeignEvent:
        framed = unframe(value)
        writer = self.by_fingerprint.get(framed.fingerprint)
        if writer is None:
            raise _unknown_own(framed.fingerprint_hex, self.by_fingerprint.values())
        return _avro_event(writer, framed.body)


def _unknown_own(fingerprint_hex: str, known: Iterable[ParsedSchema]) -> UnknownFingerprintError:
    error = UnknownFingerprintError(fingerprint_hex)
    names = ", ".join(f"{s.name} ({s.fingerprint.hex()})" for s in known) or "none"
    error.args = (
        f"unknown writer schema fingerprint {fingerprint_hex}: the trigger's schemas are "
        f"{names}; add the schema this record was written with to the trigger's schemas",
    )
    return error


def _avro_event(writer: ParsedSchema, body: bytes) -> ForeignEvent:
    record = decode_body(writer.parsed, None, body)
    if not isinstance(record, dict):
        raise UnsupportedSchemaError(f"{writer.name or 'schema'}: an event is an Avro record")
    return ForeignEvent(writer.name, json_compatible(record))


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema as a Schema Registry serves it under an id."""

    schema_type: str
    """``AVRO`` (the registry's default), ``JSON`` or ``PROTOBUF``."""
    text: str
    references: int = 0


def readable(schema: RegisteredSchema) -> ParsedSchema | None:
    """The parsed Avro schema (None for JSON Schema); UnsupportedSchemaError otherwise."""
    if schema.schema_type == JSON:
        return None
    if schema.schema_type != AVRO:
        raise UnsupportedSchemaError(
            f"a {schema.schema_type} schema: Podium reads Avro and JSON Schema records"
        )
    if schema.references:
        raise UnsupportedSchemaError(
            "an Avro schema with references: register it self-contained (types inlined)"
        )
    try:
        return ParsedSchema.of(json.loads(schema.text))
    except Exception as exc:
        raise UnsupportedSchemaError(f"the registered Avro schema does not parse: {exc}") from exc


def read_registered(parsed: ParsedSchema | None, payload: bytes) -> ForeignEvent:
    """A Confluent payload's event: Avro binary under ``parsed``, or JSON (None)."""
    if parsed is None:
        return read_json_event(payload)
    return _avro_event(parsed, payload)
