"""The demo's archive job: a service that knows nothing of Podium."""

from __future__ import annotations

import ast
import hashlib
import inspect
from pathlib import Path

from examples import SAMPLE_CSV, archiver


def test_it_imports_no_podium_at_all() -> None:
    tree = ast.parse(inspect.getsource(archiver))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert "podium" not in imported and "examples" not in imported
    assert "aiokafka" in imported


def test_a_file_is_archived_once_under_its_hash_and_announced_by_its_uri(tmp_path: Path) -> None:
    landed = tmp_path / "landing" / "sales.csv"
    landed.parent.mkdir()
    landed.write_bytes(SAMPLE_CSV.read_bytes())
    into = tmp_path / "archive"
    first, digest = archiver.archive(landed, into)
    again, _ = archiver.archive(landed, into)
    assert first == again == into / f"{digest}.csv" and len(list(into.iterdir())) == 1
    assert digest == hashlib.sha256(landed.read_bytes()).hexdigest()
    event = archiver.announcement(landed, first, digest)
    assert event["type"] == "FileArchived" and event["uri"] == landed.absolute().as_uri()
    assert event["archive"] == first.resolve().as_uri()
