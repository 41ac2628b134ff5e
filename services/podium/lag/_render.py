"""Lag reports as JSON (``GET /v1/lag``, ``podium lag --json``) and as a table. Pure."""

from __future__ import annotations

from typing import Any

from podium._text import columns
from podium.lag._model import DlqDepth, GroupLag, LagReport, PartitionLag


def report_json(report: LagReport | None) -> dict[str, Any]:
    """The whole report; ``{"groups": [], "taken_at": null}`` before the first sample."""
    if report is None:
        return {"taken_at": None, "window_s": None, "groups": [], "dlq": []}
    return {
        "taken_at": report.taken_at,
        "window_s": report.window_seconds,
        "groups": [group_json(g) for g in report.groups],
        "dlq": [dlq_json(d) for d in report.dlq],
    }


def dlq_json(depth: DlqDepth) -> dict[str, Any]:
    return {"topic": depth.topic, "messages": depth.messages, "complete": depth.complete}


def group_json(group: GroupLag) -> dict[str, Any]:
    identity = group.identity
    return {
        "group": group.group,
        "role": identity.role.value,
        "service": identity.service,
        "steps": [{"pipeline": s.pipeline, "step": s.step} for s in identity.steps],
        "status": group.status.value,
        "members": group.members,
        "lag_messages": group.lag_messages,
        "lag_seconds": _round(group.lag_seconds),
        "rate_per_s": _round(group.rate),
        "eta_s": _round(group.eta_seconds),
        "window_s": _round(group.window_seconds),
        "topics": list(group.topics),
        "partitions": [partition_json(p) for p in group.partitions],
    }


def partition_json(p: PartitionLag) -> dict[str, Any]:
    return {
        "topic": p.topic,
        "partition": p.partition,
        "committed": p.committed,
        "end": p.end,
        "lag_messages": p.lag_messages,
        "lag_seconds": _round(p.lag_seconds),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


HEADER = ("GROUP", "SERVICE", "STEPS", "STATUS", "MEMBERS", "LAG", "LAG AGE", "RATE/S", "DRAIN")


def lag_table(report: LagReport) -> list[str]:
    """``podium lag``: one line per group, the steps it serves named ``pipeline.step``;
    then the dead-letter topics that hold letters."""
    lines = ["no Podium consumer group has committed offsets yet"]
    if report.groups:
        lines = columns([HEADER, *(_row(g) for g in report.groups)])
    return lines + dlq_lines(report.dlq)


def dlq_lines(dlq: tuple[DlqDepth, ...]) -> list[str]:
    """One line per DLQ topic holding letters (``podium dlq list <topic>`` shows them)."""
    holding = [d for d in dlq if d.messages]
    if not holding:
        return []
    rows = [(d.topic, f"{d.messages}{'' if d.complete else '+'}") for d in holding]
    return ["", *columns([("DEAD LETTERS", "HELD"), *rows])]


def _row(group: GroupLag) -> tuple[str, ...]:
    identity = group.identity
    steps = ",".join(f"{s.pipeline}.{s.step}" for s in identity.steps) or "-"
    return (
        group.group,
        identity.service or identity.role.value,
        steps,
        group.status.value,
        str(group.members),
        str(group.lag_messages),
        _seconds(group.lag_seconds),
        "-" if group.rate is None else f"{group.rate:.1f}",
        _seconds(group.eta_seconds),
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}s" if value < 120 else f"{value / 60:.1f}m"
