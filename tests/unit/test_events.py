"""The typed models mirror the .avsc files field for field, so they cannot drift."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from podium import contract
from podium.codec import SchemaRegistry
from podium.contract import ENUMS, EVENT_TYPES, RECORD_MODELS, StepCompleted, StepRequested

REGISTRY = SchemaRegistry.load()
RECORDS = [e for e in REGISTRY.current_entries() if e.source["type"] == "record"]
ENUM_SCHEMAS = [e for e in REGISTRY.current_entries() if e.source["type"] == "enum"]


def optional(field: dict[str, Any]) -> bool:
    return isinstance(field["type"], list) and "null" in field["type"]


def test_there_is_one_model_per_schema() -> None:
    assert set(RECORD_MODELS) == {e.name for e in RECORDS}
    assert set(ENUMS) == {e.name for e in ENUM_SCHEMAS}
    assert {m.avro_name for m in EVENT_TYPES} <= set(RECORD_MODELS)


@pytest.mark.parametrize("entry", RECORDS, ids=lambda e: e.short_name)
def test_model_fields_are_the_schema_fields(entry: Any) -> None:
    model = RECORD_MODELS[entry.name]
    fields = entry.source["fields"]
    assert list(model.model_fields) == [f["name"] for f in fields]
    for field in fields:
        info = model.model_fields[field["name"]]
        assert info.is_required() == ("default" not in field), field["name"]
        if optional(field):
            assert info.default is None, field["name"]


@pytest.mark.parametrize("entry", ENUM_SCHEMAS, ids=lambda e: e.short_name)
def test_enum_members_are_the_schema_symbols(entry: Any) -> None:
    assert [m.value for m in ENUMS[entry.name]] == entry.source["symbols"]


def test_every_model_and_enum_is_exported_by_the_contract() -> None:
    exported = [getattr(contract, name) for name in contract.__all__]
    assert all(model in exported for model in [*RECORD_MODELS.values(), *ENUMS.values()])


def test_models_are_immutable_and_reject_unknown_fields() -> None:
    fields: dict[str, Any] = {
        "run_id": "r", "step": "s", "attempt": 1, "completed_at": "2025-01-01T00:00:00Z",
    }  # fmt: skip
    event = StepCompleted(**fields)
    with pytest.raises(ValidationError):
        event.attempt = 2
    with pytest.raises(ValidationError, match="wrker"):
        StepCompleted(**fields, wrker="x")  # type: ignore[call-arg]


def test_timestamps_must_carry_a_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        StepCompleted.model_validate(
            {"run_id": "r", "step": "s", "attempt": 1, "completed_at": "2025-01-01T00:00:00"}
        )


def test_json_payload_helpers_parse_the_json_text() -> None:
    request = StepRequested.model_validate(
        {"run_id": "r", "step": "s", "attempt": 1, "pipeline": "p", "pipeline_version": "1",
         "input_json": '{"rows": 3}', "params_json": '{"day": "mon"}',
         "deadline": "2025-01-01T00:00:00Z", "requested_at": "2025-01-01T00:00:00Z"}
    )  # fmt: skip
    assert request.input() == {"rows": 3} and request.params() == {"day": "mon"}
