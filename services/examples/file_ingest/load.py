"""``load``: put the aggregate into a small SQLite "warehouse"; ``unload`` takes it out.

The warehouse is ``<out>/warehouse.sqlite``, table ``sales_totals``
(run_id, group_by, grp, measure, total). The aggregate file comes from the
upstream ``aggregate`` step's output (its ``path``), else from this run's
folder. Output: ``{"rows_loaded": n, "target": <db path>, "table": ...}``;
notify's ``when`` reads ``rows_loaded``.

Idempotent: rows are keyed by run id, and a load deletes the run's rows and
inserts them again in one transaction; ``unload`` (the compensation) deletes
them, which is a no-op the second time.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from examples.file_ingest._files import out_dir, run_dir
from podium.service import NonRetryableError, Service, StepContext

service = Service("load")
TABLE = "sales_totals"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (run_id TEXT NOT NULL, group_by TEXT NOT NULL, "
    "grp TEXT NOT NULL, measure TEXT NOT NULL, total REAL NOT NULL, "
    "PRIMARY KEY (run_id, grp, measure))"
)


@service.default
async def load(input: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Load, or unload when this is the compensation (or ``input.op`` is unload)."""
    target = warehouse(ctx.params)
    if ctx.compensate or (input or {}).get("op") == "unload":
        removed = await asyncio.to_thread(unload_run, target, ctx.run_id)
        ctx.logger.info("unloaded %d row(s) from %s", removed, target)
        return {"rows_removed": removed, "target": str(target)}
    source = aggregate_file(ctx.params, ctx.run_id, ctx.upstream)
    rows = await asyncio.to_thread(load_run, target, ctx.run_id, source)
    ctx.logger.info("loaded %d row(s) into %s", rows, target)
    return {"rows_loaded": rows, "target": str(target), "table": TABLE}


def warehouse(params: Mapping[str, Any]) -> Path:
    return out_dir(params) / "warehouse.sqlite"


def aggregate_file(params: Mapping[str, Any], run_id: str, upstream: Mapping[str, Any]) -> Path:
    """The aggregate step's file: named in its output, else at the conventional place."""
    for output in upstream.values():
        if isinstance(output, dict) and output.get("kind") == "aggregate":
            return Path(str(output["path"]))
    return run_dir(params, run_id) / "aggregate.json"


@contextmanager
def _database(path: Path) -> Iterator[sqlite3.Connection]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=30)) as db, db:
        db.execute(_SCHEMA)
        yield db


def load_run(target: Path, run_id: str, source: Path) -> int:
    """Replace the run's rows with the aggregate's; the number of rows loaded."""
    try:
        aggregate = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        message = f"aggregate file {source} does not exist: run aggregate first"
        raise NonRetryableError(message) from exc
    rows = [
        (run_id, aggregate["group_by"], group, measure, total)
        for group, totals in aggregate["sums"].items()
        for measure, total in totals.items()
    ]
    with _database(target) as db:
        db.execute(f"DELETE FROM {TABLE} WHERE run_id = ?", (run_id,))
        db.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?)", rows)
    return len(rows)


def unload_run(target: Path, run_id: str) -> int:
    """Delete the run's rows; how many there were."""
    if not target.exists():
        return 0
    with _database(target) as db:
        return db.execute(f"DELETE FROM {TABLE} WHERE run_id = ?", (run_id,)).rowcount
