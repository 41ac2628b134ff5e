"""What the CLI prints for ``apply`` and ``list``: pure functions over results and entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from podium.registry._decide import ApplyResult, ApplyStatus, short_hash
from podium.registry._pause import PipelinePause
from podium.registry._record import RegisteredPipeline

Pauses = Callable[[str], PipelinePause | None]


def apply_lines(results: Iterable[ApplyResult]) -> list[str]:
    """One line per pipeline, e.g. ``published: file-ingest@2 sha256:0123456789ab (FILE)``."""
    lines = []
    for result in results:
        if result.status is ApplyStatus.REFUSED:  # the reason names the pipeline and file
            lines.append(f"refused: {result.reason}")
            continue
        if result.status is ApplyStatus.HELD:
            lines.append(f"held: {result.key}: {result.reason}")
            continue
        source = f" ({result.source})" if result.source else ""
        digest = short_hash(result.content_hash)
        lines.append(f"{result.status.value}: {result.key} {digest}{source}")
    return lines


def apply_summary(results: Sequence[ApplyResult]) -> str:
    """``2 published, 1 unchanged`` or, after a refusal, ``nothing published: ...``."""
    counts = {status: sum(r.status is status for r in results) for status in ApplyStatus}
    if counts[ApplyStatus.REFUSED]:
        return (
            f"nothing published: {counts[ApplyStatus.REFUSED]} refused "
            "(an apply is all or nothing; fix the refused files and apply again)"
        )
    shown = (ApplyStatus.PUBLISHED, ApplyStatus.UNCHANGED)
    return ", ".join(f"{counts[s]} {s.value}" for s in shown)


def pipeline_summaries(
    entries: Iterable[RegisteredPipeline], pauses: Pauses | None = None
) -> list[dict[str, Any]]:
    """One JSON-ready summary per pipeline name, describing its latest version; with
    ``pauses`` (a registry's ``pause``), ``paused`` is ``{"by", "reason", "at"}`` for a
    paused pipeline and None otherwise."""
    by_name: dict[str, list[RegisteredPipeline]] = defaultdict(list)
    for entry in entries:
        by_name[entry.name].append(entry)
    summaries = [_summary(sorted(v, key=lambda e: e.version)) for _, v in sorted(by_name.items())]
    if pauses is not None:
        for summary in summaries:
            pause = pauses(summary["name"])
            summary["paused"] = None if pause is None else pause.detail()
    return summaries


def _paused_lines(summaries: Iterable[dict[str, Any]]) -> list[str]:
    """``paused: NAME by sre at 2026-01-01 10:00:00: maintenance`` per paused pipeline."""
    lines = []
    for summary in summaries:
        if (paused := summary.get("paused")) is not None:
            at = (paused["at"] or "")[:19].replace("T", " ")
            why = f": {paused['reason']}" if paused["reason"] else ""
            lines.append(f"paused: {summary['name']} by {paused['by'] or '?'} at {at}{why}")
    return lines


def _summary(versions: list[RegisteredPipeline]) -> dict[str, Any]:
    latest = versions[-1]
    return {
        "name": latest.name,
        "versions": [e.version for e in versions],
        "latest": latest.version,
        "steps": len(latest.pipeline.steps),
        "content_hash": latest.content_hash,
        "published_at": latest.published_at.isoformat(),
    }


_COLUMNS = ("NAME", "VERSIONS", "LATEST", "STEPS", "HASH", "PUBLISHED")


def summary_table(summaries: Iterable[dict[str, Any]]) -> list[str]:
    """Aligned columns: name, versions, latest, step count, hash prefix, published at; then
    a ``paused:`` line per paused pipeline."""
    summaries = list(summaries)
    rows = [_COLUMNS, *(_row(s) for s in summaries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    table = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    return [*table, *_paused_lines(summaries)]


def _row(summary: dict[str, Any]) -> tuple[str, ...]:
    return (
        summary["name"],
        ",".join(str(v) for v in summary["versions"]),
        str(summary["latest"]),
        str(summary["steps"]),
        short_hash(summary["content_hash"]),
        summary["published_at"][:19].replace("T", " "),
    )
