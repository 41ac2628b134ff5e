"""Read back what the example services produced for one run (files and SQLite rows).

The step outputs in the run's view name the files; this module only opens
them, so the summary shows real results, not what the services claimed.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from podium.demo._render import Produced
from podium.runs import RunView


def output_of(view: RunView, step: str) -> dict[str, Any]:
    """A step's output as a dict (empty when the step has none or it is not a dict)."""
    found = view.steps.get(step)
    output = found.output if found is not None else None
    return output if isinstance(output, dict) else {}


def read_produced(view: RunView) -> Produced:
    load = output_of(view, "load")
    warehouse, table = load.get("target"), load.get("table")
    notifications = output_of(view, "notify").get("file")
    return Produced(
        aggregate=output_of(view, "aggregate").get("path"),
        profile=output_of(view, "profile").get("path"),
        warehouse=warehouse,
        table=table,
        rows=warehouse_rows(Path(warehouse), table, view.run_id) if warehouse and table else (),
        notifications=notifications,
        notice=notice_line(Path(notifications), view.run_id) if notifications else None,
    )


def warehouse_rows(path: Path, table: str, run_id: str) -> tuple[tuple[str, str, float], ...]:
    """The run's rows in the warehouse table: (group, measure, total), by group."""
    if not path.is_file() or not table.isidentifier():
        return ()
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)) as db:
        query = f"SELECT grp, measure, total FROM {table} WHERE run_id = ? ORDER BY grp, measure"
        return tuple((str(g), str(m), float(t)) for g, m, t in db.execute(query, (run_id,)))


def notice_line(path: Path, run_id: str) -> str | None:
    """The notification line of this run, if notify wrote one."""
    if not path.is_file():
        return None
    marker = f" run={run_id} "
    return next((line for line in path.read_text().splitlines() if marker in line), None)
