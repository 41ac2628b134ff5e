"""The codec: round trips, typed errors for bad bytes, old writers read by new readers."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.codec import (
    Codec,
    CodecError,
    CorruptMessageError,
    DecodeError,
    EncodeError,
    NotAvroFramingError,
    SchemaLoadError,
    SchemaRegistry,
    SchemaResolutionError,
    TruncatedMessageError,
    UnknownFingerprintError,
    WrongEventTypeError,
    frame,
)
from podium.codec._avro import encode_body
from podium.codec.strategies import events, records
from podium.contract import (
    RECORD_MODELS,
    PodiumModel,
    RunRequested,
    StepCompleted,
    StepFailed,
)
from podium.errors import ConfigError, PodiumError

REGISTRY = SchemaRegistry.load()
CODEC = Codec(REGISTRY)
RECORD_NAMES = sorted(e.name for e in REGISTRY.current_entries() if e.parsed["type"] == "record")
NOW = datetime(2025, 5, 1, 12, 30, 15, 123000, tzinfo=UTC)
DECODE_ERRORS = (
    NotAvroFramingError,
    TruncatedMessageError,
    UnknownFingerprintError,
    WrongEventTypeError,
    SchemaResolutionError,
    CorruptMessageError,
)
examples = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def completed(**overrides: Any) -> StepCompleted:
    fields: dict[str, Any] = {"run_id": "r-1", "step": "load", "attempt": 1, "completed_at": NOW}
    return StepCompleted(**(fields | overrides))


def write_schemas(directory: Path, files: dict[str, Any]) -> Path:
    for name, schema in files.items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(json.dumps(schema))
    return directory


def record(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields), **extra}


def test_every_error_is_a_podium_error_with_a_reason_code() -> None:
    classes: list[type[CodecError]] = [*DECODE_ERRORS, EncodeError, SchemaLoadError]
    for cls in classes:
        assert issubclass(cls, CodecError) and issubclass(cls, PodiumError)
    assert all(issubclass(cls, DecodeError) for cls in DECODE_ERRORS)
    assert len({cls.reason for cls in classes}) == len(classes)
    assert issubclass(SchemaLoadError, ConfigError)


@pytest.mark.parametrize("name", RECORD_NAMES)
@examples
@given(data=st.data())
def test_any_valid_record_round_trips(name: str, data: st.DataObject) -> None:
    value = data.draw(records(REGISTRY, name))
    decoded = CODEC.decode(CODEC.encode(name, value), expected=name)
    assert decoded.record == value
    assert decoded.schema_name == name
    assert decoded.writer_fingerprint == REGISTRY.current(name).fingerprint_hex
    assert decoded.writer_version == "current"


@pytest.mark.parametrize("model", list(RECORD_MODELS.values()), ids=lambda m: m.__name__)
@examples
@given(data=st.data())
def test_any_typed_event_round_trips(model: type[PodiumModel], data: st.DataObject) -> None:
    event = data.draw(events(model, REGISTRY))
    encoded = CODEC.encode_event(event)
    assert CODEC.decode_event(encoded, model) == event
    assert CODEC.decode_event(encoded) == event


def test_encoded_value_is_single_object_framed_with_the_writer_fingerprint() -> None:
    data = CODEC.encode_event(completed())
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == REGISTRY.current("StepCompleted").fingerprint


def test_expected_accepts_names_short_names_models_and_sets() -> None:
    data = CODEC.encode_event(completed())
    for expected in ("podium.v1.StepCompleted", "StepCompleted", StepCompleted):
        assert CODEC.decode(data, expected).schema_name == "podium.v1.StepCompleted"
    assert CODEC.decode(data, {"StepFailed", StepCompleted}).record["step"] == "load"


def test_wrong_event_type_names_both_types() -> None:
    with pytest.raises(WrongEventTypeError) as info:
        CODEC.decode_event(CODEC.encode_event(completed()), StepFailed)
    assert info.value.actual == "podium.v1.StepCompleted"
    assert info.value.expected == {"podium.v1.StepFailed"}
    assert "StepCompleted" in str(info.value) and "StepFailed" in str(info.value)


def test_expecting_a_schema_that_does_not_exist_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="NoSuchEvent"):
        CODEC.decode(CODEC.encode_event(completed()), "NoSuchEvent")


def test_unknown_fingerprint_says_which() -> None:
    data = frame(b"\x12\x34\x56\x78\x9a\xbc\xde\xf0", b"\x00")
    with pytest.raises(UnknownFingerprintError) as info:
        CODEC.decode(data)
    assert info.value.fingerprint == "123456789abcdef0"
    assert "123456789abcdef0" in str(info.value)
    assert info.value.reason == "unknown-fingerprint"


def test_trailing_bytes_after_the_body_are_corrupt() -> None:
    with pytest.raises(CorruptMessageError, match="2 unexpected bytes"):
        CODEC.decode(CODEC.encode_event(completed()) + b"\x00\x00")


def test_an_enum_index_out_of_range_is_corrupt() -> None:
    entry = REGISTRY.current("StepStatus")
    with pytest.raises(CorruptMessageError, match="StepStatus"):
        CODEC.decode(frame(entry.fingerprint, b"\x7e"))


@examples
@given(st.binary(max_size=64))
def test_random_bytes_decode_or_raise_a_codec_error(data: bytes) -> None:
    with contextlib.suppress(CodecError):
        CODEC.decode(data)


@pytest.mark.parametrize("name", RECORD_NAMES)
@examples
@given(body=st.binary(max_size=80))
def test_a_known_header_with_a_random_body_decodes_or_raises_a_codec_error(
    name: str, body: bytes
) -> None:
    try:
        decoded = CODEC.decode(frame(REGISTRY.current(name).fingerprint, body))
    except CodecError:
        return
    assert decoded.schema_name == name


@pytest.mark.parametrize("name", RECORD_NAMES)
@examples
@given(data=st.data())
def test_truncation_anywhere_is_reported_as_such(name: str, data: st.DataObject) -> None:
    value = CODEC.encode(name, data.draw(records(REGISTRY, name)))
    cut = data.draw(st.integers(0, len(value) - 1))
    with pytest.raises((TruncatedMessageError, NotAvroFramingError)):
        CODEC.decode(value[:cut])


def test_decode_event_of_a_tombstone_is_not_avro_framing() -> None:
    with pytest.raises(NotAvroFramingError, match="tombstone"):
        CODEC.decode_event(None, StepCompleted)


def test_old_writer_is_read_with_the_current_schema() -> None:
    old = REGISTRY.history("StepCompleted")[0]
    fields = {"run_id": "r-1", "step": "load", "attempt": 2, "output_json": "[1]"}
    data = frame(old.fingerprint, encode_body(old.parsed, fields | {"completed_at": NOW}))
    decoded = CODEC.decode(data, StepCompleted)
    assert decoded.writer_version == "v1"
    assert decoded.writer_fingerprint == old.fingerprint_hex
    assert decoded.record == fields | {"completed_at": NOW, "started_at": None, "worker": None}
    assert CODEC.decode_event(data, StepCompleted).output() == [1]


def test_a_run_request_of_a_writer_before_priorities_reads_with_priority_0() -> None:
    old = REGISTRY.history("RunRequested")[0]
    trigger = {"source": "API", "name": None, "reference": None}
    fields = {"run_id": "r-1", "pipeline": "p", "pipeline_version": None, "params_json": "{}"}
    record = fields | {"trigger": trigger, "idempotency_key": None, "requested_at": NOW}
    data = frame(old.fingerprint, encode_body(old.parsed, record))
    decoded = CODEC.decode(data, RunRequested)
    assert decoded.writer_version == "v1" and decoded.record["priority"] == 0
    assert CODEC.decode_event(data, RunRequested).priority == 0


def test_an_unknown_enum_symbol_from_a_newer_writer_reads_as_the_default(tmp_path: Path) -> None:
    color = {"type": "enum", "name": "Color", "namespace": "t", "doc": "d"}
    newer_color = color | {"symbols": ["UNKNOWN", "RED", "PURPLE"]}
    write_schemas(
        tmp_path,
        {
            "Color.avsc": color | {"symbols": ["UNKNOWN", "RED"], "default": "UNKNOWN"},
            "Paint.avsc": record("Paint", {"name": "color", "type": "t.Color"}),
            "history/Paint.next.avsc": record("Paint", {"name": "color", "type": newer_color}),
        },
    )
    codec = Codec(SchemaRegistry.load(tmp_path))
    newer = codec.registry.history("Paint")[0]
    data = frame(newer.fingerprint, encode_body(newer.parsed, {"color": "PURPLE"}))
    assert codec.decode(data).record == {"color": "UNKNOWN"}
    assert codec.decode(codec.encode("Paint", {"color": "RED"})).record == {"color": "RED"}


def test_an_incompatible_old_writer_raises_schema_resolution_with_the_field(
    tmp_path: Path,
) -> None:
    write_schemas(
        tmp_path,
        {
            "Thing.avsc": record("Thing", {"name": "size", "type": "int"}),
            "history/Thing.v1.avsc": record("Thing", {"name": "size", "type": "string"}),
        },
    )
    codec = Codec(SchemaRegistry.load(tmp_path))
    old = codec.registry.history("Thing")[0]
    with pytest.raises(SchemaResolutionError, match=r"Thing\.size") as info:
        codec.decode(frame(old.fingerprint, encode_body(old.parsed, {"size": "big"})))
    assert (info.value.writer, info.value.reader) == ("t.Thing", "t.Thing")


def test_a_message_can_be_read_as_an_expected_type_that_aliases_it(tmp_path: Path) -> None:
    size = {"name": "size", "type": "int"}
    write_schemas(
        tmp_path,
        {
            "Gadget.avsc": record("Gadget", size),
            "Widget.avsc": record("Widget", size, {"name": "tag", "type": ["null", "string"],
                                                   "default": None}, aliases=["t.Gadget"]),
        },
    )  # fmt: skip
    codec = Codec(SchemaRegistry.load(tmp_path))
    data = codec.encode("Gadget", {"size": 3})
    decoded = codec.decode(data, expected="Widget")
    assert (decoded.schema_name, decoded.record) == ("t.Widget", {"size": 3, "tag": None})
    assert codec.decode(data, expected={"Gadget", "Widget"}).schema_name == "t.Gadget"
    with pytest.raises(WrongEventTypeError):
        codec.decode(codec.encode("Widget", {"size": 1}), expected="Gadget")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"run_id": 1}, "run_id"),
        ({"run_idd": "x"}, "unknown fields ['run_idd']"),
        ({"run_id": "x", "step": "s", "attempt": 1}, "completed_at"),
        ({"run_id": "x", "step": "s", "attempt": 2**40, "completed_at": 0}, "attempt"),
    ],
)
def test_invalid_records_raise_encode_error_naming_the_field(
    fields: dict[str, Any], words: str
) -> None:
    with pytest.raises(EncodeError, match="StepCompleted") as info:
        CODEC.encode("StepCompleted", fields)
    assert words in str(info.value)
    assert info.value.reason == "invalid-record"


def test_encoding_an_unknown_schema_is_an_encode_error() -> None:
    with pytest.raises(EncodeError, match="NoSuchEvent"):
        CODEC.encode("NoSuchEvent", {})


def test_timestamps_may_be_given_as_epoch_millis() -> None:
    fields = {"run_id": "r", "step": "s", "attempt": 1, "completed_at": 1_700_000_000_000}
    decoded = CODEC.decode(CODEC.encode(StepCompleted, fields))
    assert decoded.record["completed_at"] == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
