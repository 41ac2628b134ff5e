"""Podium's Avro codec: schema registry, single-object framing, compatibility checks.

    registry = SchemaRegistry.load()             # schemas/ parsed once, at start
    codec = Codec(registry)                      # writer/reader pairs prepared once
    data = codec.encode_event(StepCompleted(...))            # C3 01 + fingerprint + body
    event = codec.decode_event(data, StepCompleted)          # typed, or a DecodeError
    decoded = codec.decode(data, expected={"StepCompleted", "StepFailed"})  # dict record

Layers: ``_framing`` (single-object header) is separate from ``_avro`` (the
record <-> Avro binary converter, with ``_writer`` compiling a faster writer per schema
for ``encode_trusted``); ``_registry`` parses ``schemas/``;
``_compat`` is the pure compatibility checker; ``_evolution`` checks history.
Errors are drawn as a tree in :mod:`podium.codec._errors`. Test data:
:mod:`podium.codec.strategies` (needs hypothesis).
"""

from podium.codec._avro import decode_body
from podium.codec._codec import Codec
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
    fingerprint_bytes,
    frame,
    unframe,
)
from podium.codec._registry import SchemaRegistry, default_schema_dir
from podium.codec._standalone import canonical_form

__all__ = [
    "FINGERPRINT_SIZE",
    "HEADER_SIZE",
    "MAGIC",
    "Codec",
    "CodecError",
    "CorruptMessageError",
    "DecodeError",
    "EncodeError",
    "HistoryCheck",
    "NotAvroFramingError",
    "SchemaLoadError",
    "SchemaRegistry",
    "SchemaResolutionError",
    "TruncatedMessageError",
    "UnknownFingerprintError",
    "WrongEventTypeError",
    "canonical_form",
    "check_history",
    "decode_body",
    "default_schema_dir",
    "fingerprint_bytes",
    "frame",
    "undocumented",
    "unframe",
]
