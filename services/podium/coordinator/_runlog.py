"""The coordinator's log lines about runs: one when a run starts, one when it ends (INFO;
WARNING when it failed or was compensated), never one per transition. Each carries the
run's fields (``run_id``, ``pipeline``, ``trace_id``, ``span_id``) for ``podium.logs``'
JSON format; ``run.events`` and the metrics have the transitions."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from podium.coordinator._observe import RunNote
from podium.logs import trace_fields

log = logging.getLogger("podium.coordinator.runs")

_BAD_ENDS = frozenset({"failed", "compensated"})


def log_runs(notes: Iterable[RunNote]) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    for note in notes:
        extra = {"run_id": note.run_id, "pipeline": note.pipeline, **trace_fields(note.trace)}
        level = logging.WARNING if note.status in _BAD_ENDS else logging.INFO
        log.log(level, "%s", _message(note), extra=extra)


def _message(note: RunNote) -> str:
    run = f"run {note.run_id} of {note.pipeline} v{note.version}"
    if note.seconds is None:
        return f"{run} {'queued' if note.status == 'queued' else 'started'}"
    ended = f"{run} {note.status} after {note.seconds:.3f}s"
    return f"{ended}: {note.reason}" if note.reason else ended
