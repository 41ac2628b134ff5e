"""Dead letters as text and JSON for ``podium dlq``. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from podium._text import columns
from podium.dlq._entry import DlqEntry, age_seconds, human_age
from podium.dlq._redact import cap
from podium.dlq._replay import Replay, Skip
from podium.dlq._stats import ReasonCount

SHORT_ERROR = 60


def entry_json(entry: DlqEntry, now: datetime) -> dict[str, Any]:
    origin = entry.origin
    return {
        "dlq": {"topic": entry.topic, "partition": entry.partition, "offset": entry.offset},
        "reason": entry.reason,
        "detail": entry.detail,
        "error_class": entry.error_class,
        "error": entry.error,
        "origin": None
        if origin is None
        else {"topic": origin.topic, "partition": origin.partition, "offset": origin.offset},
        "failed_at": entry.failed_at.isoformat() if entry.failed_at else None,
        "age_s": age_seconds(entry, now),
        "run_id": entry.run_id,
        "step": entry.step,
        "group": entry.group,
        "replay_count": entry.replay_count,
        "size": entry.size,
        "preview": entry.preview,
    }


def entry_table(entries: Sequence[DlqEntry], now: datetime) -> list[str]:
    """``podium dlq list``: one line per dead letter, the value only as a short preview."""
    rows = [("OFFSET", "REASON", "ORIGIN", "AGE", "RUN", "STEP", "ERROR", "PREVIEW")]
    for e in entries:
        rows.append(
            (
                f"{e.partition}:{e.offset}",
                _reason(e),
                str(e.origin) if e.origin else "?",
                human_age(age_seconds(e, now)),
                e.run_id or "-",
                e.step or "-",
                cap(" ".join(e.error.split()), SHORT_ERROR) or "-",  # one line
                e.preview,
            )
        )
    return columns(rows)


def _reason(entry: DlqEntry) -> str:
    """``decode:truncated``: the reason, and the detail when it says more."""
    more = entry.detail and entry.detail != entry.reason
    return f"{entry.reason}:{entry.detail}" if more else entry.reason


def stats_table(counts: Sequence[ReasonCount], now: datetime) -> list[str]:
    rows = [("TOPIC", "REASON", "COUNT", "OLDEST")]
    for c in counts:
        oldest = None if c.oldest is None else (now - c.oldest).total_seconds()
        rows.append((c.topic, c.reason, str(c.count), human_age(oldest)))
    return columns(rows)


def stats_json(counts: Sequence[ReasonCount], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "topic": c.topic,
            "reason": c.reason,
            "count": c.count,
            "oldest_age_s": None if c.oldest is None else (now - c.oldest).total_seconds(),
        }
        for c in counts
    ]


def plan_lines(plan: Sequence[Replay | Skip], dry_run: bool) -> list[str]:
    """One line per message: replayed (or would be), skipped or refused, and why."""
    verb = "would replay" if dry_run else "replayed"
    lines = []
    for step in plan:
        where = f"{step.entry.partition}:{step.entry.offset}"
        if isinstance(step, Replay):
            lines.append(f"{verb} {where} ({step.entry.reason}) -> {step.topic}")
        else:
            lines.append(f"{step.kind} {where} ({step.entry.reason}): {step.why}")
    return lines
