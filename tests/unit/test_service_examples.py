"""The demo's example services do real work on the sample CSV, called as the service would."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from examples import SAMPLE_CSV
from examples.file_ingest.services import load, notify, transform, validate
from podium.contract import StepCompleted, StepFailed
from podium.service import Service
from podium.service._execute import execute_step
from podium.service.testing import make_request


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    target = tmp_path / "in" / "sales.csv"
    target.parent.mkdir()
    shutil.copy(SAMPLE_CSV, target)
    return target


def expected_sums(path: Path) -> dict[str, float]:
    sums: dict[str, float] = {}
    for line in path.read_text().splitlines()[1:]:
        _, region, amount = line.split(",")
        sums[region] = sums.get(region, 0.0) + float(amount)
    return sums


async def run(service: Service, step: str, input: object, csv: Path, **kwargs: object) -> object:
    params = {"uri": csv.as_uri(), "group_by": "region"}
    request = make_request(step, input, params=params, run_id="run-1", **kwargs)  # type: ignore[arg-type]
    event = await execute_step(service, request)
    if isinstance(event, StepFailed):
        return event
    assert isinstance(event, StepCompleted)
    return event.output()


async def test_validate_counts_rows_and_columns(csv_file: Path) -> None:
    rules = {"required_columns": ["id", "region", "amount"], "max_bad_rows": 0}
    assert await run(validate, "validate", rules, csv_file) == {
        "rows": 20,
        "columns": ["id", "region", "amount"],
        "bad_rows": 0,
    }


async def test_validate_fails_for_good_on_bad_rows_missing_columns_or_file(csv_file: Path) -> None:
    csv_file.write_text(csv_file.read_text() + "21,north,lots\n")
    bad = await run(validate, "validate", {}, csv_file)
    assert isinstance(bad, StepFailed) and not bad.retryable
    assert "line 22" in bad.error_message
    missing = await run(validate, "validate", {"required_columns": ["id", "sku"]}, csv_file)
    assert isinstance(missing, StepFailed) and "missing column(s) sku" in missing.error_message
    gone = await run(validate, "validate", {}, csv_file.with_name("nope.csv"))
    assert isinstance(gone, StepFailed) and not gone.retryable
    assert "does not exist" in gone.error_message


async def test_aggregate_writes_sums_by_group_and_cleanup_removes_them(csv_file: Path) -> None:
    output = await run(transform, "aggregate", {"op": "aggregate", "sum": ["amount"]}, csv_file)
    assert isinstance(output, dict)
    path = Path(output["path"])
    assert path == csv_file.parent / "out" / "run-1" / "aggregate.json"
    written = json.loads(path.read_text())
    assert written["group_by"] == "region"
    assert {g: v["amount"] for g, v in written["sums"].items()} == pytest.approx(
        expected_sums(csv_file)
    )
    again = await run(transform, "aggregate", {"op": "aggregate"}, csv_file)
    assert again == output and json.loads(path.read_text()) == written  # idempotent
    undo = {"op": "cleanup", "what": "aggregate"}  # as in pipelines/file_ingest.yaml
    removed = await run(transform, "x", undo, csv_file, compensates="aggregate", output=output)
    assert removed == {"removed": True, "path": str(path)} and not path.exists()


async def test_profile_writes_column_stats(csv_file: Path) -> None:
    spec = {"op": "profile", "columns": ["region", "amount"]}
    output = await run(transform, "profile", spec, csv_file)
    assert isinstance(output, dict)
    stats = json.loads(Path(output["path"]).read_text())["columns"]
    assert stats["region"] == {"count": 20, "distinct": 4}
    amounts = [float(line.split(",")[2]) for line in csv_file.read_text().splitlines()[1:]]
    assert stats["amount"]["min"] == min(amounts) and stats["amount"]["max"] == max(amounts)
    step_input = {"op": "profile"}  # no `what`: the compensated step's op says what to remove
    cleanup = await run(
        transform, "x", {"op": "cleanup"}, csv_file, compensates="profile", step_input=step_input
    )
    assert cleanup == {"removed": True, "path": output["path"]}


async def test_load_writes_the_aggregate_to_sqlite_idempotently_and_unload_removes_it(
    csv_file: Path,
) -> None:
    aggregate = await run(transform, "aggregate", {"op": "aggregate"}, csv_file)
    upstream = {"aggregate": aggregate, "profile": None}
    loaded = await run(load, "load", {"target": "warehouse"}, csv_file, upstream=upstream)
    again = await run(load, "load", {"target": "warehouse"}, csv_file, upstream=upstream)
    assert loaded == again
    assert isinstance(loaded, dict) and loaded["rows_loaded"] == 4
    with sqlite3.connect(loaded["target"]) as db:
        rows = dict(db.execute("SELECT grp, total FROM sales_totals WHERE run_id='run-1'"))
    assert rows == pytest.approx(expected_sums(csv_file))
    unloaded = await run(load, "x", {"op": "unload"}, csv_file, compensates="load")
    assert unloaded == {"rows_removed": 4, "target": loaded["target"]}


async def test_notify_writes_one_line_per_run(csv_file: Path) -> None:
    upstream = {"load": {"rows_loaded": 4}}
    first = await run(notify, "notify", {"message": "file ingested"}, csv_file, upstream=upstream)
    second = await run(notify, "notify", {"message": "file ingested"}, csv_file, upstream=upstream)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert (first["already"], second["already"]) == (False, True)
    lines = Path(first["file"]).read_text().splitlines()
    assert len(lines) == 1 and "run=run-1" in lines[0] and "rows_loaded=4 file ingested" in lines[0]


async def test_the_output_folder_can_be_chosen(
    csv_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_EXAMPLES_OUT", str(tmp_path / "elsewhere"))
    output = await run(transform, "aggregate", {"op": "aggregate"}, csv_file)
    assert isinstance(output, dict)
    assert Path(output["path"]).parent == tmp_path / "elsewhere" / "run-1"
