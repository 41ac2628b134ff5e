"""The compiled writer (``encode_trusted``'s fast path) writes exactly fastavro's bytes."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium import contract as wire
from podium._speedups.avro_writer import Unsupported, compile_writer, long_bytes
from podium.codec import Codec, EncodeError, SchemaRegistry
from podium.codec.strategies import records, sample_events

REGISTRY = SchemaRegistry.load()
CODEC = Codec(REGISTRY)
RECORD_NAMES = sorted(e.name for e in REGISTRY.current_entries() if e.parsed["type"] == "record")
COORDINATOR_OUTPUTS = (wire.StepRequested, wire.RunStatusChanged, wire.StepCancelRequested)
examples = settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])


def fastavro_body(parsed: Any, datum: Any) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, parsed, datum)
    return out.getvalue()


def without_defaulted(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Records of ``name`` with some fields that have a default left out."""
    parsed = REGISTRY.current(name).parsed
    optional = [field["name"] for field in parsed["fields"] if "default" in field]
    dropped = st.sets(st.sampled_from(optional)) if optional else st.just(set())
    return st.tuples(records(REGISTRY, name), dropped).map(
        lambda pair: {key: value for key, value in pair[0].items() if key not in pair[1]}
    )


def test_every_record_schema_compiles() -> None:
    for name in RECORD_NAMES:
        compile_writer(REGISTRY.current(name).parsed)


@pytest.mark.parametrize("name", RECORD_NAMES)
@examples
@given(data=st.data())
def test_the_compiled_writer_writes_fastavros_bytes(name: str, data: st.DataObject) -> None:
    parsed = REGISTRY.current(name).parsed
    record = data.draw(records(REGISTRY, name))
    assert compile_writer(parsed)(record) == fastavro_body(parsed, record)


@pytest.mark.parametrize("name", RECORD_NAMES)
@examples
@given(data=st.data())
def test_missing_fields_take_their_defaults_as_in_fastavro(name: str, data: st.DataObject) -> None:
    parsed = REGISTRY.current(name).parsed
    record = data.draw(without_defaulted(name))
    assert compile_writer(parsed)(record) == fastavro_body(parsed, record)


@pytest.mark.parametrize("model", COORDINATOR_OUTPUTS)
@examples
@given(data=st.data())
def test_encode_trusted_frames_what_the_validating_encoder_frames(
    model: type[wire.PodiumModel], data: st.DataObject
) -> None:
    record = data.draw(records(REGISTRY, model.avro_name))
    assert CODEC.encode_trusted(model, record) == CODEC.encode(model, record)


@pytest.mark.parametrize("event", sample_events(), ids=lambda event: type(event).__name__)
def test_typed_events_with_enums_and_datetimes_encode_as_fastavro_writes_them(
    event: wire.PodiumModel,
) -> None:
    assert CODEC.encode_event(event) == CODEC.encode(type(event), event.model_dump())


@given(st.integers(-(2**63), 2**63 - 1))
def test_longs_are_zigzag_varints_as_fastavro_writes_them(value: int) -> None:
    assert long_bytes(value) == fastavro_body("long", value)


@pytest.mark.parametrize("value", ["", "é", "\U0001f600" * 70, "x" * 64, "x" * 63])
def test_string_lengths_around_one_byte_varints(value: str) -> None:
    parsed = REGISTRY.current("podium.v1.StepError").parsed
    record = {"error_type": value, "error_message": value * 3, "retryable": True}
    assert compile_writer(parsed)(record) == fastavro_body(parsed, record)


def test_a_missing_required_boolean_fails_instead_of_writing_false() -> None:
    with pytest.raises(EncodeError, match="retryable"):
        CODEC.encode_trusted("StepError", {"error_type": "E", "error_message": "m"})


@pytest.mark.parametrize(
    "field_type",
    ["float", "double", "bytes", {"type": "array", "items": "long"}, ["null", "long", "string"],
     {"type": "int", "logicalType": "date"}],
)  # fmt: skip
def test_types_it_does_not_cover_are_left_to_fastavro(field_type: Any) -> None:
    schema = {"type": "record", "name": "T", "fields": [{"name": "f", "type": field_type}]}
    with pytest.raises(Unsupported):
        compile_writer(parse_schema(schema))


def test_a_recursive_record_is_written_as_fastavro_writes_it() -> None:
    node = {"type": "record", "name": "Node", "fields": [
        {"name": "label", "type": "string"}, {"name": "next", "type": ["null", "Node"]},
    ]}  # fmt: skip
    parsed = parse_schema(node)
    chain = {"label": "a", "next": {"label": "b", "next": {"label": "c", "next": None}}}
    assert compile_writer(parsed)(chain) == fastavro_body(parsed, chain)
