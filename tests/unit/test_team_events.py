"""Teams' own events as triggers read them (pure): JSON, own-schema Avro, Confluent framing,
field paths and headers, keys that make the same event one run, and what validation says."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given
from hypothesis import strategies as st

from podium.codec import DecodeError, UnknownFingerprintError
from podium.codec._framing import fingerprint_bytes, frame
from podium.codec._standalone import canonical_form
from podium.events import (
    OwnSchemas,
    confluent_frame,
    read_json_event,
    read_registered,
    split_confluent,
)
from podium.events._decode import RegisteredSchema, readable
from podium.events._errors import NotConfluentFramingError, NotJsonError, UnsupportedSchemaError
from podium.events._values import json_compatible
from podium.pipelines import EventFormat, EventTrigger, Pipeline, field_value, validate_pipeline
from podium.pipelines._load import check_file
from podium.triggers import EventSource, TriggerRejectedError, plan_event_runs
from podium.triggers._ids import RUN_ID_NAMESPACE, event_run_id, keyed_identity
from podium.triggers._match import match_event
from podium.triggers._start import trigger_lines

ORDER_PLACED: dict[str, Any] = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "com.acme.orders",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 9, "scale": 2}},
        {"name": "placed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
            {"name": "id", "type": "string"}, {"name": "tier", "type": "string"}]}},
    ],
}  # fmt: skip
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ORDER = {
    "order_id": "A-17",
    "amount": Decimal("12.50"),
    "placed_at": NOW,
    "customer": {"id": "c-9", "tier": "gold"},
}


def own_avro(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    """Single-object encoding as a team's own fastavro code writes it."""
    parsed = parse_schema(schema)
    body = io.BytesIO()
    schemaless_writer(body, parsed, record)
    return frame(fingerprint_bytes(canonical_form(parsed)), body.getvalue())


def orders_pipeline(**trigger: Any) -> Pipeline:
    return Pipeline.model_validate(
        {
            "name": "orders",
            "version": 1,
            "params": {"order_id": {"required": True}, "tier": {}},
            "triggers": [{"type": "event", "topic": "orders", **trigger}],
            "steps": [{"name": "ship", "service": "shipping"}],
        }
    )


def source(fields: dict[str, Any], *, offset: int = 1, **more: Any) -> EventSource:
    defaults: dict[str, Any] = {"type_name": None, "format": EventFormat.JSON}
    return EventSource("orders", 0, offset, fields=fields, **{**defaults, **more})


# -- reading values ---------------------------------------------------------------


def test_a_json_object_is_read_with_its_nested_fields() -> None:
    event = read_json_event(b'{"order_id": "A-17", "customer": {"tier": "gold"}}')
    assert event.type_name is None
    assert event.fields["customer"] == {"tier": "gold"}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (None, "tombstone"),
        (b"\xff\xfe", "UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not an object"),
        (b"[" * 200 + b"]" * 200, "not JSON"),
    ],
)
def test_what_is_not_a_json_object_says_why(value: bytes | None, says: str) -> None:
    with pytest.raises(NotJsonError, match=says) as caught:
        read_json_event(value)
    assert caught.value.reason == "not-json"


def test_an_own_schema_record_is_read_with_logical_types_as_text() -> None:
    event = OwnSchemas.of([ORDER_PLACED]).read(own_avro(ORDER_PLACED, ORDER))
    assert event.type_name == "com.acme.orders.OrderPlaced"
    assert event.fields == {
        "order_id": "A-17",
        "amount": "12.50",
        "placed_at": "2026-12-07T12:00:00+00:00",
        "customer": {"id": "c-9", "tier": "gold"},
    }


def test_a_record_written_with_another_schema_names_the_ones_the_trigger_has() -> None:
    other = {**ORDER_PLACED, "name": "OrderCancelled"}
    with pytest.raises(UnknownFingerprintError, match="OrderPlaced") as caught:
        OwnSchemas.of([ORDER_PLACED]).read(own_avro(other, ORDER))
    assert "add the schema this record was written with" in str(caught.value)


def test_a_cut_own_schema_body_is_a_decode_error_not_a_crash() -> None:
    value = own_avro(ORDER_PLACED, ORDER)
    with pytest.raises(DecodeError) as caught:
        OwnSchemas.of([ORDER_PLACED]).read(value[:-5])
    assert caught.value.reason in ("truncated", "corrupt-body")


def test_confluent_framing_is_split_into_schema_id_and_payload() -> None:
    assert split_confluent(confluent_frame(258, b"body")) == (258, b"body")
    assert confluent_frame(1, b"") == b"\x00\x00\x00\x00\x01"


@pytest.mark.parametrize("value", [None, b"", b"\x00\x00\x01", b"\xc3\x01" + bytes(10), b"{}xx"])
def test_what_is_not_confluent_framed_says_so(value: bytes | None) -> None:
    with pytest.raises(NotConfluentFramingError) as caught:
        split_confluent(value)
    assert caught.value.reason == "not-confluent-framing"


def test_a_registered_avro_schema_reads_its_payload() -> None:
    parsed = readable(RegisteredSchema("AVRO", json.dumps(ORDER_PLACED)))
    payload = own_avro(ORDER_PLACED, ORDER)[10:]
    assert read_registered(parsed, payload).fields["customer"] == {"id": "c-9", "tier": "gold"}


def test_a_registered_json_schema_reads_json() -> None:
    parsed = readable(RegisteredSchema("JSON", '{"type": "object"}'))
    assert read_registered(parsed, b'{"order_id": "A-17"}').fields == {"order_id": "A-17"}


@pytest.mark.parametrize(
    ("schema", "says"),
    [
        (RegisteredSchema("PROTOBUF", "syntax = 'proto3';"), "PROTOBUF"),
        (RegisteredSchema("AVRO", json.dumps(ORDER_PLACED), references=1), "references"),
        (RegisteredSchema("AVRO", "{nope"), "does not parse"),
    ],
)
def test_schemas_podium_cannot_read_are_named(schema: RegisteredSchema, says: str) -> None:
    with pytest.raises(UnsupportedSchemaError, match=says):
        readable(schema)


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.uuids(),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(VALUES)
def test_every_decoded_value_becomes_json(value: Any) -> None:
    compatible = json_compatible(value)
    assert json.loads(json.dumps(compatible)) == compatible


def test_json_compatible_text_of_non_json_leaves() -> None:
    assert json_compatible(b"\x00\x01") == "AAE="
    assert json_compatible(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"


# -- matching, params, keys ---------------------------------------------------------


@given(st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=5), min_size=1, max_size=4))
def test_a_dotted_path_reaches_a_nested_leaf(parts: list[str]) -> None:
    record: dict[str, Any] = {}
    cursor = record
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
        if not isinstance(cursor, dict):
            return
    cursor[parts[-1]] = "leaf"
    assert field_value(record, ".".join(parts)) == "leaf"


def test_paths_index_lists_and_missing_parts_are_none() -> None:
    record = {"items": [{"sku": "X1"}], "a.b": 1}
    assert field_value(record, "items.0.sku") == "X1"
    assert field_value(record, "a.b") == 1  # a key holding a dot
    assert field_value(record, "items.1.sku") is None
    assert field_value(record, "items.sku") is None
    assert field_value(record, "nothing.here") is None


def test_a_trigger_matches_on_nested_fields_and_on_headers() -> None:
    trigger = EventTrigger(
        topic="orders",
        format=EventFormat.JSON,
        match={"customer.tier": "gold"},
        headers={"ce_type": "com.acme.order.*"},
    )
    fields = {"customer": {"tier": "gold"}}
    assert match_event(trigger, fields, {"ce_type": "com.acme.order.placed"})
    assert not match_event(trigger, fields, {"ce_type": "com.acme.invoice.sent"})
    assert not match_event(trigger, fields, {})
    assert not match_event(
        trigger, {"customer": {"tier": "silver"}}, {"ce_type": "com.acme.order.x"}
    )


def test_params_come_from_field_paths_and_headers() -> None:
    pipeline = orders_pipeline(
        format="json", params={"order_id": "order_id", "tier": "header:x-tier"}
    )
    plan = plan_event_runs(
        [pipeline], source({"order_id": "A-17"}, headers={"x-tier": "gold"}), NOW
    )
    (run,) = plan.runs
    assert json.loads(run.params_json) == {"order_id": "A-17", "tier": "gold"}


def test_a_field_key_makes_the_same_order_one_run_on_any_offset() -> None:
    pipeline = orders_pipeline(format="json", params={"order_id": "order_id"}, key="field:order_id")
    first = plan_event_runs([pipeline], source({"order_id": "A-17"}, offset=1), NOW).runs
    again = plan_event_runs([pipeline], source({"order_id": "A-17"}, offset=9), NOW).runs
    other = plan_event_runs([pipeline], source({"order_id": "B-2"}, offset=1), NOW).runs
    assert first[0].run_id == again[0].run_id != other[0].run_id
    assert first[0].idempotency_key == "event:key:field:order_id=A-17"


def test_keyed_run_ids_are_pinned_so_an_upgrade_keeps_deduplicating() -> None:
    identity = keyed_identity("field:order_id", "A-17")
    assert identity == "key:field:order_id=A-17"
    expected = uuid.uuid5(RUN_ID_NAMESPACE, "event\norders\n1\nkey:field:order_id=A-17")
    assert event_run_id("orders", 1, identity) == str(expected)
    assert keyed_identity("field:o", {"b": 1, "a": [True]}) == 'key:field:o={"a":[true],"b":1}'


def test_a_header_key_and_a_record_key() -> None:
    by_header = orders_pipeline(format="json", params={"order_id": "id"}, key="header:idem")
    fields = {"id": "A"}
    one = plan_event_runs([by_header], source(fields, offset=1, headers={"idem": "k1"}), NOW)
    two = plan_event_runs([by_header], source(fields, offset=2, headers={"idem": "k1"}), NOW)
    assert one.runs[0].run_id == two.runs[0].run_id
    by_record = orders_pipeline(format="json", params={"order_id": "id"}, key="record")
    first = plan_event_runs([by_record], source(fields, offset=1), NOW).runs[0]
    second = plan_event_runs([by_record], source(fields, offset=2), NOW).runs[0]
    assert first.run_id != second.run_id


def test_an_event_without_its_key_is_rejected_with_the_reason() -> None:
    pipeline = orders_pipeline(format="json", params={"order_id": "id"}, key="field:order_id")
    plan = plan_event_runs([pipeline], source({"id": "A"}), NOW)
    assert not plan.runs and plan.taken
    (rejected,) = plan.rejected
    assert isinstance(rejected, TriggerRejectedError)
    assert rejected.field == "key" and "field:order_id" in str(rejected)


def test_an_event_no_trigger_takes_is_not_taken() -> None:
    pipeline = orders_pipeline(format="json", params={"order_id": "id"}, match={"kind": "placed"})
    plan = plan_event_runs([pipeline], source({"id": "A", "kind": "cancelled"}), NOW)
    assert not plan.runs and not plan.rejected and not plan.taken


def test_a_trigger_reads_only_sources_of_its_format() -> None:
    pipeline = orders_pipeline(format="json", params={"order_id": "id"})
    avro = source({"id": "A"}, format=EventFormat.AVRO, type_name="com.acme.X")
    assert not plan_event_runs([pipeline], avro, NOW).taken


def test_an_avro_trigger_takes_its_type_short_or_full() -> None:
    for name in ("OrderPlaced", "com.acme.orders.OrderPlaced"):
        pipeline = orders_pipeline(
            format="avro", schemas=[ORDER_PLACED], event=name, params={"order_id": "order_id"}
        )
        placed = source(
            {"order_id": "A"}, format=EventFormat.AVRO, type_name="com.acme.orders.OrderPlaced"
        )
        assert plan_event_runs([pipeline], placed, NOW).runs


# -- the model and validation --------------------------------------------------------


def test_defaults_keep_podiums_own_events_as_they_were() -> None:
    trigger = EventTrigger(topic="podium.files.landed")
    assert trigger.event_type == "FileLanded" and trigger.dead_letters
    team = EventTrigger(topic="orders", format=EventFormat.JSON)
    assert team.event_type is None and not team.dead_letters
    assert EventTrigger(topic="orders", format=EventFormat.JSON, dlq=True).dead_letters


@pytest.mark.parametrize("key", ["field:", "column:x", "offset", "header: "])
def test_a_bad_key_says_what_keys_are(key: str) -> None:
    with pytest.raises(ValueError, match="field:<path>"):
        EventTrigger(topic="orders", key=key)


def test_a_schema_file_name_outside_a_pipeline_file_is_refused() -> None:
    with pytest.raises(ValueError, match="is a file name"):
        EventTrigger(topic="orders", format=EventFormat.AVRO, schemas=["OrderPlaced.avsc"])


@pytest.mark.parametrize(
    ("trigger", "field", "says"),
    [
        ({"format": "avro"}, "triggers[0].schemas", "name the .avsc files"),
        ({"format": "avro", "schemas": [{"type": "nope"}]}, "triggers[0].schemas[0]", "valid Avro"),
        (
            {"format": "avro", "schemas": [ORDER_PLACED], "event": "OrderCancelled"},
            "triggers[0].event",
            "no schema of the trigger is named 'OrderCancelled'",
        ),
        ({"format": "json", "event": "OrderPlaced"}, "triggers[0].event", "carry no type name"),
        ({"format": "json", "schemas": [ORDER_PLACED]}, "triggers[0].schemas", "need no schema"),
        ({"schemas": [ORDER_PLACED]}, "triggers[0].schemas", "format: avro"),
        ({"format": "confluent", "schemas": [ORDER_PLACED]}, "triggers[0].schemas", "Registry"),
        ({"format": "json", "headers": {"ce_type": "[x"}}, "triggers[0].headers.ce_type", "'['"),
    ],
)
def test_validation_says_what_a_format_needs(
    trigger: dict[str, Any], field: str, says: str
) -> None:
    problems = validate_pipeline(orders_pipeline(params={"order_id": "id"}, **trigger))
    assert any(p.location == field and says in p.message for p in problems), problems


def test_a_valid_team_trigger_has_no_problem_and_is_shown() -> None:
    pipeline = orders_pipeline(
        format="avro", schemas=[ORDER_PLACED], event="OrderPlaced", params={"order_id": "order_id"}
    )
    assert validate_pipeline(pipeline) == []
    assert trigger_lines(pipeline)[0].startswith("trigger: OrderPlaced (avro) on orders")
    assert trigger_lines(orders_pipeline(format="json", params={"order_id": "id"}))[0].startswith(
        "trigger: JSON events on orders"
    )
    urgent = orders_pipeline(format="json", params={"order_id": "id"}, priority_from="urgency")
    assert trigger_lines(urgent)[0].endswith("; priority from urgency (else 0)")
    fixed = orders_pipeline(format="json", params={"order_id": "id"}, priority=5)
    assert trigger_lines(fixed)[0].endswith("; priority 5")


def test_a_pipeline_file_reads_schema_files_beside_it(tmp_path: Path) -> None:
    (tmp_path / "OrderPlaced.avsc").write_text(json.dumps(ORDER_PLACED))
    file = tmp_path / "orders.yaml"
    file.write_text(
        "name: orders\nversion: 1\nparams: {order_id: {required: true}}\n"
        "triggers:\n- {type: event, topic: orders, format: avro, schemas: OrderPlaced.avsc,\n"
        "   params: {order_id: order_id}}\n"
        "steps: [{name: ship, service: shipping}]\n"
    )
    pipeline, problems = check_file(file)
    assert problems == [] and pipeline is not None
    (trigger,) = pipeline.triggers
    assert isinstance(trigger, EventTrigger) and trigger.schemas == (ORDER_PLACED,)


def test_a_missing_schema_file_is_a_problem_of_its_file(tmp_path: Path) -> None:
    file = tmp_path / "orders.yaml"
    file.write_text(
        "name: orders\nversion: 1\n"
        "triggers: [{type: event, topic: orders, format: avro, schemas: [Gone.avsc]}]\n"
        "steps: [{name: ship, service: shipping}]\n"
    )
    _, problems = check_file(file)
    (problem,) = problems
    assert problem.location == "triggers[0].schemas[0]" and "Gone.avsc" in problem.message
    assert problem.file == str(file)
