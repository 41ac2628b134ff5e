"""Podium's Avro codec: schema registry, single-object framing, compatibility checks.

    registry = SchemaRegistry.load()            # schemas/ parsed once
    codec = Codec(registry)
    data = codec.encode_event(StepCompleted(...))
    event = codec.decode_event(data, StepCompleted)

Errors are drawn as a tree in :mod:`podium.codec._errors`.
"""

from podium.codec._avro import decode_body, encode_body
from podium.codec._codec import Codec, Decoded, Expected, RawValue, SchemaRef
from podium.codec._compat import Incompatibility, check_compatibility, is_compatible
from podium.codec._errors import (
    CodecError,
    CorruptMessageError,
    DecodeError,
    EncodeError,
    NotAvroFramingError,
    SchemaLoadError,
    SchemaResolutionError,
    TruncatedMessageError,
    UnknownFingerprintError,
    WrongEventTypeError,
)
from podium.codec._evolution import HistoryCheck, check_history, undocumented
from podium.codec._framing import (
    FINGERPRINT_SIZE,
    HEADER_SIZE,
    MAGIC,
    Frame,
    fingerprint_bytes,
    fingerprint_int,
    frame,
    unframe,
)
from podium.codec._registry import SchemaEntry, SchemaRegistry, default_schema_dir
from podium.codec._standalone import canonical_form, standalone

__all__ = [
    "FINGERPRINT_SIZE",
    "HEADER_SIZE",
    "MAGIC",
    "Codec",
    "CodecError",
    "CorruptMessageError",
    "DecodeError",
    "Decoded",
    "EncodeError",
    "Expected",
    "Frame",
    "HistoryCheck",
    "Incompatibility",
    "NotAvroFramingError",
    "RawValue",
    "SchemaEntry",
    "SchemaLoadError",
    "SchemaRef",
    "SchemaRegistry",
    "SchemaResolutionError",
    "TruncatedMessageError",
    "UnknownFingerprintError",
    "WrongEventTypeError",
    "canonical_form",
    "check_compatibility",
    "check_history",
    "decode_body",
    "default_schema_dir",
    "encode_body",
    "fingerprint_bytes",
    "fingerprint_int",
    "frame",
    "is_compatible",
    "standalone",
    "undocumented",
    "unframe",
]
