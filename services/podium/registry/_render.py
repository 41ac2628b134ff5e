"""What the CLI prints for ``apply`` and ``list``: pure functions over results and entries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from podium.registry._decide import ApplyResult, ApplyStatus, short_hash
from podium.registry._record import RegisteredPipeline


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


def pipeline_summaries(entries: Iterable[RegisteredPipeline]) -> list[dict[str, Any]]:
    """One JSON-ready summary per pipeline name, describing its latest version."""
    by_name: dict[str, list[RegisteredPipeline]] = defaultdict(list)
    for entry in entries:
        by_name[entry.name].append(entry)
    return [_summary(sorted(v, key=lambda e: e.version)) for _, v in sorted(by_name.items())]


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
    """Aligned columns: name, versions, latest, step count, hash prefix, published at."""
    rows = [_COLUMNS, *(_row(s) for s in summaries)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _row(summary: dict[str, Any]) -> tuple[str, ...]:
    return (
        summary["name"],
        ",".join(str(v) for v in summary["versions"]),
        str(summary["latest"]),
        str(summary["steps"]),
        short_hash(summary["content_hash"]),
        summary["published_at"][:19].replace("T", " "),
    )
