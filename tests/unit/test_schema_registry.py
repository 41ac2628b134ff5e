"""The schema registry: cross-file names, history versions, clear errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from podium.codec import SchemaLoadError, SchemaRegistry, default_schema_dir, undocumented

EVENTS = [
    "RunRequested", "RunCancelRequested", "StepRequested", "StepCompleted", "StepFailed",
    "StepHeartbeat", "StepCancelRequested", "RunStatusChanged", "FileLanded",
]  # fmt: skip


def write(directory: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return directory


def rec(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields)}


def test_the_default_directory_is_the_repository_schemas() -> None:
    assert default_schema_dir() == Path(__file__).resolve().parents[2] / "schemas"


def test_the_shipped_contract_has_every_event_in_podium_v1() -> None:
    registry = SchemaRegistry.load()
    for name in EVENTS:
        entry = registry.current(name)
        assert entry.name == f"podium.v1.{name}"
        assert entry.path.name == f"{name}.avsc"
    assert {e.name for e in registry if not e.is_current} >= {"podium.v1.StepCompleted"}


def test_every_shipped_type_and_field_has_a_doc() -> None:
    assert undocumented(SchemaRegistry.load()) == []


def test_every_shipped_enum_has_a_default_symbol() -> None:
    enums = [e for e in SchemaRegistry.load() if e.source["type"] == "enum"]
    assert enums
    for entry in enums:
        assert entry.source["default"] in entry.source["symbols"], entry.path


def test_every_run_keyed_event_carries_run_id() -> None:
    registry = SchemaRegistry.load()
    for name in (n for n in EVENTS if n != "FileLanded"):
        field = next(f for f in registry.current(name).source["fields"] if f["name"] == "run_id")
        assert field["type"] == "string"


def test_named_types_resolve_across_files_in_any_order(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "A.avsc": rec("A", {"name": "b", "type": "t.B"}),
            "B.avsc": rec("B", {"name": "c", "type": ["null", "t.C"], "default": None}),
            "C.avsc": {"type": "enum", "name": "C", "namespace": "t", "symbols": ["X"]},
        },
    )
    registry = SchemaRegistry.load(tmp_path)
    a = registry.current("t.A")
    assert '"name":"t.C","type":"enum"' in a.canonical_form
    assert registry.by_fingerprint(a.fingerprint) is a
    assert "t.B" in registry and "B" in registry and "t.Z" not in registry


def test_a_type_used_twice_is_defined_once_in_the_canonical_form(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "E.avsc": {"type": "enum", "name": "E", "namespace": "t", "symbols": ["X"]},
            "R.avsc": rec("R", {"name": "a", "type": "t.E"}, {"name": "b", "type": "t.E"}),
        },
    )
    form = SchemaRegistry.load(tmp_path).current("R").canonical_form
    assert form.count('"symbols"') == 1 and '{"name":"b","type":"t.E"}' in form


def test_history_versions_get_their_own_fingerprint_and_label(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "R.avsc": rec("R", {"name": "a", "type": "int"}, {"name": "b", "type": "int"}),
            "history/R.v1.avsc": rec("R", {"name": "a", "type": "int"}),
        },
    )
    registry = SchemaRegistry.load(tmp_path)
    [old] = registry.history("R")
    assert old.version == "v1" and old.name == "t.R"
    assert old.fingerprint != registry.current("R").fingerprint
    assert registry.by_fingerprint(old.fingerprint) is old


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"R.avsc": '{"type": "record",'}, ["R.avsc", "invalid JSON", "line 1"]),
        ({"R.avsc": rec("R", {"name": "x", "type": "int", "default": "no"})},
         ["R.avsc", "invalid Avro schema", "Default value"]),
        ({"R.avsc": rec("R", {"name": "x", "type": "t.Nope"})}, ["R.avsc", "t.Nope"]),
        ({"Wrong.avsc": rec("R", {"name": "x", "type": "int"})}, ["Wrong.avsc", "R.avsc"]),
        ({"R.avsc": {"type": "array", "items": "int"}}, ["R.avsc", "top level"]),
        (
            {"R.avsc": rec("R", {"name": "e", "type": {"type": "enum", "name": "E",
                                                       "symbols": ["A"]}}),
             "E.avsc": {"type": "enum", "name": "E", "namespace": "t", "symbols": ["A"]}},
            ["t.E", "already defined"],
        ),
        ({"history/Gone.v1.avsc": rec("Gone", {"name": "x", "type": "int"})},
         ["Gone.v1.avsc", "no current schema"]),
    ],
)  # fmt: skip
def test_bad_files_are_named_with_the_problem(
    tmp_path: Path, files: dict[str, Any], words: list[str]
) -> None:
    write(tmp_path, files)
    with pytest.raises(SchemaLoadError) as info:
        SchemaRegistry.load(tmp_path)
    for word in words:
        assert word in str(info.value)


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaLoadError, match="does not exist"):
        SchemaRegistry.load(tmp_path / "nope")


def test_unknown_names_are_a_key_error(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="Nope"):
        SchemaRegistry.load().current("Nope")
