"""Published pipelines as the API shows them. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from podium.api._layout import dag_layout
from podium.pipelines import Step
from podium.registry import RegisteredPipeline


def pipeline_json(entry: RegisteredPipeline) -> dict[str, Any]:
    """One published version: what a caller needs to start a run of it."""
    pipeline = entry.pipeline
    return {
        "name": pipeline.name,
        "version": pipeline.version,
        "description": pipeline.description,
        "params": {name: spec.model_dump(mode="json") for name, spec in pipeline.params.items()},
        "steps": [_step_json(step) for step in pipeline.steps],
        "layout": {
            name: {"layer": place.layer, "row": place.row}
            for name, place in dag_layout({s.name: s.after for s in pipeline.steps}).items()
        },
        "triggers": [trigger.model_dump(mode="json") for trigger in pipeline.triggers],
        "max_active_runs": pipeline.max_active_runs,
        "content_hash": entry.content_hash,
        "published_at": entry.published_at.isoformat(),
    }


def _step_json(step: Step) -> dict[str, Any]:
    compensation = step.compensation.service if step.compensation else None
    return {
        "name": step.name,
        "service": step.service,
        "after": list(step.after),
        "when": step.when,
        "on_failure": step.on_failure.value,
        "compensation": compensation,
    }


class LagPoint(Protocol):
    """One sample of a group's lag (``podium.lag``'s history points fit)."""

    @property
    def taken_at(self) -> float: ...
    @property
    def lag_messages(self) -> int: ...
    @property
    def lag_seconds(self) -> float | None: ...


LagHistory = Mapping[str, Sequence[LagPoint]]


def lag_history_json(history: LagHistory) -> dict[str, Any]:
    """``GET /v1/lag/history``: per group, ``[taken_at, lag_messages, lag_seconds]`` rows."""
    return {
        "groups": {
            group: [[p.taken_at, p.lag_messages, p.lag_seconds] for p in points]
            for group, points in sorted(history.items())
        }
    }
