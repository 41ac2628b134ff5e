"""``transform``: aggregate or profile the landed CSV; ``cleanup`` undoes either.

One service, three operations chosen by the step's ``input.op``:

- ``aggregate`` sums ``input.sum`` columns (default amount) per ``params.group_by``
  (default region) into ``<out>/<run_id>/aggregate.json``;
- ``profile`` writes per-column stats (count, distinct, min/max/mean when
  numeric) of ``input.columns`` into ``<out>/<run_id>/profile.json``;
- ``cleanup`` (the compensation) deletes the file ``input.what`` (aggregate or
  profile) wrote; without ``what``, the compensated step's own ``op`` says.

Idempotent: the files are per run and replaced atomically, so a redelivered
request rewrites the same content; deleting a file that is gone is a no-op.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from examples.file_ingest._files import input_path, number, read_rows, run_dir, write_json
from podium.service import NonRetryableError, Service, StepContext

service = Service("transform")
OUTPUTS = ("aggregate", "profile")


@service.default
async def transform(input: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    """Dispatch on the operation; a compensation is always a cleanup."""
    spec = dict(input or {})
    op = "cleanup" if ctx.compensate else spec.get("op")
    ctx.logger.info("transform op=%s", op)
    if op == "aggregate":
        return await asyncio.to_thread(aggregate, ctx.params, ctx.run_id, spec)
    if op == "profile":
        return await asyncio.to_thread(profile, ctx.params, ctx.run_id, spec)
    if op == "cleanup":
        undone = ctx.compensated_input if isinstance(ctx.compensated_input, dict) else {}
        spec.setdefault("what", undone.get("op"))
        return await asyncio.to_thread(cleanup, ctx.params, ctx.run_id, spec)
    raise NonRetryableError(f"unknown op {op!r}: use aggregate, profile or cleanup")


def aggregate(params: Mapping[str, Any], run_id: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Sum the ``spec["sum"]`` columns per group; write and describe the result file."""
    group_by = str(params.get("group_by") or "region")
    columns, rows = read_rows(input_path(params))
    if group_by not in columns:
        raise NonRetryableError(f"group_by column {group_by!r} is not in the file ({columns})")
    sums: dict[str, dict[str, float]] = {}
    for row in rows:
        group = sums.setdefault(row[group_by], {})
        for name in spec.get("sum", ["amount"]):
            group[name] = round(group.get(name, 0.0) + (number(row.get(name)) or 0.0), 6)
    path = run_dir(params, run_id) / "aggregate.json"
    write_json(path, {"group_by": group_by, "sums": sums})
    return {"kind": "aggregate", "path": str(path), "group_by": group_by, "groups": len(sums)}


def profile(params: Mapping[str, Any], run_id: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Stats of each column in ``spec["columns"]`` (all columns by default)."""
    columns, rows = read_rows(input_path(params))
    wanted = list(spec.get("columns") or columns)
    stats = {name: column_stats([row.get(name, "") for row in rows]) for name in wanted}
    path = run_dir(params, run_id) / "profile.json"
    write_json(path, {"rows": len(rows), "columns": stats})
    return {"kind": "profile", "path": str(path), "columns": wanted}


def column_stats(values: list[str]) -> dict[str, Any]:
    """count and distinct; min, max and mean too when every value is a number."""
    stats: dict[str, Any] = {"count": len(values), "distinct": len(set(values))}
    numbers = [number(value) for value in values]
    if values and all(value is not None for value in numbers):
        present = [value for value in numbers if value is not None]
        stats.update(min=min(present), max=max(present), mean=round(sum(present) / len(present), 6))
    return stats


def cleanup(params: Mapping[str, Any], run_id: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    """Delete what aggregate/profile wrote for this run (``spec["what"]``)."""
    what = spec.get("what")
    if what not in OUTPUTS:
        raise NonRetryableError(f"cleanup of {what!r}: say what=aggregate or what=profile")
    path: Path = run_dir(params, run_id) / f"{what}.json"
    existed = path.exists()
    path.unlink(missing_ok=True)
    return {"removed": existed, "path": str(path)}
