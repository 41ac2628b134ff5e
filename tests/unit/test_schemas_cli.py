"""`podium schemas check` and `podium schemas list`, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from podium.cli import podium
from podium.codec import SchemaRegistry


def write(directory: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return directory


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, "doc": f"the {name}", **extra}


def rec(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "doc": "d", "fields": list(fields)}


def run(*args: str) -> Any:
    return CliRunner().invoke(podium, ["schemas", *args])


def test_check_passes_on_the_shipped_schemas() -> None:
    result = run("check")
    assert result.exit_code == 0, result.output
    assert "OK    podium.v1.StepCompleted <-> history/StepCompleted.v1.avsc" in result.output


def test_check_passes_a_compatible_history(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "R.avsc": rec("R", field("a", "int"), field("b", ["null", "string"], default=None)),
            "history/R.v1.avsc": rec("R", field("a", "int")),
        },
    )
    result = run("check", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "OK    t.R <-> history/R.v1.avsc: backward and forward compatible" in result.output


def test_check_fails_an_incompatible_history_with_the_field_path(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "R.avsc": rec("R", field("a", "long"), field("b", "string")),
            "history/R.v1.avsc": rec("R", field("a", "int")),
        },
    )
    result = run("check", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL  t.R <-> history/R.v1.avsc backward (current reader, old writer): R.b:" in (
        result.output
    )
    assert "forward (old reader, current writer): R.a: writer type long" in result.output


def test_check_fails_fields_without_docs(tmp_path: Path) -> None:
    write(tmp_path, {"R.avsc": rec("R", {"name": "a", "type": "int"})})
    result = run("check", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "FAIL  no doc:" in result.output and "R.avsc: R.a" in result.output


def test_check_names_the_file_of_an_invalid_schema(tmp_path: Path) -> None:
    write(tmp_path, {"R.avsc": rec("R", field("a", "t.Missing")), "Bad.avsc": "{nope"})
    result = run("check", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Bad.avsc: invalid JSON" in result.output


def test_check_names_an_unresolved_type(tmp_path: Path) -> None:
    write(tmp_path, {"R.avsc": rec("R", field("a", "t.Missing"))})
    result = run("check", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "R.avsc: unknown type name 't.Missing'" in result.output


def test_list_prints_name_version_and_wire_fingerprint() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    entry = SchemaRegistry.load().current("StepCompleted")
    line = f"{entry.fingerprint_hex}  podium.v1.StepCompleted  current  StepCompleted.avsc"
    assert line in result.output.splitlines()
    assert "podium.v1.StepCompleted  v1  history/StepCompleted.v1.avsc" in result.output


def test_list_of_an_invalid_directory_is_a_config_error(tmp_path: Path) -> None:
    result = run("list", "--dir", str(tmp_path / "missing"))
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_help_is_available_for_each_command() -> None:
    for args in ([], ["check"], ["list"]):
        result = run(*args, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "wire order" in run("list", "--help").output
