"""The converter: records to Avro binary bodies and back, with parsed schemas only.

Framing (``_framing``) is separate: this module never sees a header. Decoding
takes untrusted bytes, so every failure of the Avro reader becomes a
:class:`DecodeError` subclass here, and nothing else escapes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from fastavro.read import SchemaResolutionError as _FastavroResolutionError
from fastavro.validation import ValidationError, validate

from podium.codec._errors import (
    CorruptMessageError,
    EncodeError,
    SchemaResolutionError,
    TruncatedMessageError,
)


def encode_body(schema: Any, record: Mapping[str, Any], *, checked: bool = False) -> bytes:
    """The Avro binary encoding of ``record``; :class:`EncodeError` says which field is wrong.

    Plain records are validated first: fastavro's writer alone would accept e.g.
    a 64-bit value for an ``int`` that other readers reject. ``checked`` skips
    that for records dumped from a typed model, whose fields pydantic already
    checked: validation costs more than the encoding itself on the hot path.
    """
    if not checked:
        _reject_unknown_fields(schema, record)
        _validate(schema, record)
    out = io.BytesIO()
    try:
        schemaless_writer(out, schema, dict(record))
    except Exception as exc:
        raise EncodeError(f"{schema['name']}: invalid record: {exc}") from exc
    return out.getvalue()


def _reject_unknown_fields(schema: Any, record: Mapping[str, Any]) -> None:
    """fastavro silently drops unknown keys; a typo'd field name must not vanish."""
    if not isinstance(record, Mapping):
        raise EncodeError(f"{schema['name']}: a record must be a mapping, got {type(record)}")
    unknown = set(record) - {field["name"] for field in schema["fields"]}
    if unknown:
        raise EncodeError(f"{schema['name']}: unknown fields {sorted(unknown)}")


def _validate(schema: Any, record: Mapping[str, Any]) -> None:
    try:
        validate(dict(record), schema, raise_errors=True)
    except ValidationError as invalid:
        problems = "; ".join(str(error) for error in invalid.errors)
        raise EncodeError(f"{schema['name']}: invalid record: {problems}") from invalid
    except Exception as exc:
        raise EncodeError(f"{schema['name']}: invalid record: {exc}") from exc


def decode_body(writer: Any, reader: Any | None, body: bytes) -> Any:
    """Read ``body`` written with ``writer`` as ``reader`` (None: as written)."""
    stream = io.BytesIO(body)
    try:
        record = schemaless_reader(stream, writer, reader)
    except EOFError as exc:
        raise TruncatedMessageError(f"{writer['name']} body ends early: {exc}") from exc
    except _FastavroResolutionError as exc:
        raise SchemaResolutionError(
            f"cannot read {writer['name']} as the current schema: {exc}",
            writer=writer["name"],
            reader=(reader or writer)["name"],
        ) from exc
    except Exception as exc:  # untrusted bytes: any reader failure means a bad body
        if _ends_inside_varint(exc, stream, body):
            raise TruncatedMessageError(f"{writer['name']} body ends inside a number") from exc
        raise CorruptMessageError(
            f"{writer['name']} body is not valid Avro: {type(exc).__name__}: {exc}"
        ) from exc
    _require_consumed(writer, stream, len(body))
    return record


def _ends_inside_varint(exc: Exception, stream: io.BytesIO, body: bytes) -> bool:
    """fastavro raises IndexError, not EOFError, when the body ends inside a varint."""
    at_end = stream.tell() >= len(body)
    return isinstance(exc, IndexError) and at_end and bool(body) and body[-1] & 0x80 != 0


def _require_consumed(writer: Any, stream: io.BytesIO, size: int) -> None:
    left = size - stream.tell()
    if left:
        raise CorruptMessageError(
            f"{writer['name']} body has {left} unexpected bytes after its last field"
        )
