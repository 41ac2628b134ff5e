"""``notify``: announce a loaded file, one line per run in ``<out>/notifications.log``.

Input: ``channel`` (only ``log`` here) and ``message``. The line names the run,
the pipeline and the rows loaded (from the upstream ``load`` output).
Output: ``{"notified": true, "file": <path>, "already": <bool>}``.

Idempotent: a run's line is written once; a redelivered request finds it and
writes nothing (``already`` is then true).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from examples.file_ingest._files import out_dir
from podium.service import Service, StepContext

service = Service("notify")


@service.default
async def notify(input: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    spec = dict(input or {})
    line = notice(ctx, str(spec.get("message", "pipeline finished")))
    ctx.logger.info("notice: %s", line)
    path = out_dir(ctx.params) / "notifications.log"
    already = await asyncio.to_thread(append_once, path, ctx.run_id, line)
    return {"notified": True, "file": str(path), "already": already}


def notice(ctx: StepContext, message: str) -> str:
    rows = [out.get("rows_loaded") for out in ctx.upstream.values() if isinstance(out, dict)]
    loaded = next((count for count in rows if count is not None), "?")
    when = datetime.now(UTC).isoformat(timespec="seconds")
    return f"{when} run={ctx.run_id} pipeline={ctx.pipeline} rows_loaded={loaded} {message}"


def append_once(path: Path, run_id: str, line: str) -> bool:
    """Append ``line`` unless the run already has one; True when it had."""
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = f" run={run_id} "
    if path.exists() and any(marker in old for old in path.read_text().splitlines()):
        return True
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return False
