"""``validate``: check that the landed CSV has the required columns and numeric amounts.

Input (from the pipeline): ``required_columns`` (default id, region, amount),
``numeric_columns`` (default amount), ``max_bad_rows`` (default 0).
Output: ``{"rows": n, "columns": [...], "bad_rows": k}``.

Idempotent: it only reads. A missing file, missing columns or too many bad rows
raise NonRetryableError: the same file fails the same way on every attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from examples.file_ingest._files import input_path, number, read_rows
from podium.service import NonRetryableError, Service, StepContext

service = Service("validate")


@service.default
async def validate(input: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    path = input_path(ctx.params)
    ctx.logger.info("validating %s", path)
    return await asyncio.to_thread(check_file, path, dict(input or {}))


def check_file(path: Any, rules: Mapping[str, Any]) -> dict[str, Any]:
    """The summary of a valid file; NonRetryableError naming what is wrong otherwise."""
    columns, rows = read_rows(path)
    required = list(rules.get("required_columns", ["id", "region", "amount"]))
    missing = [name for name in required if name not in columns]
    if missing:
        raise NonRetryableError(
            f"{path}: missing column(s) {', '.join(missing)} (has {', '.join(columns)})",
            details={"missing": missing, "columns": columns},
        )
    bad = bad_rows(rows, list(rules.get("numeric_columns", ["amount"])))
    if len(bad) > int(rules.get("max_bad_rows", 0)):
        raise NonRetryableError(
            f"{path}: {len(bad)} row(s) with a non-numeric value, e.g. line {bad[0]}",
            details={"bad_lines": bad[:20]},
        )
    return {"rows": len(rows), "columns": columns, "bad_rows": len(bad)}


def bad_rows(rows: list[dict[str, str]], numeric: list[str]) -> list[int]:
    """File line numbers (header is line 1) of rows with a non-numeric value."""
    return [
        index + 2
        for index, row in enumerate(rows)
        if any(number(row.get(name)) is None for name in numeric)
    ]
