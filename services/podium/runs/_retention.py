"""Which finished runs the read model forgets: those that finished a retention ago (pure).

A long-running API follows ``podium.run.events`` for as long as it runs, so without a
retention its read model would hold every run it ever saw; a rebuild at restart holds
only what the topic still keeps (30 days by default). Finished runs wait in a heap by
finish time, so looking for expired ones never scans the views.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from podium.runs._view import RunView


@dataclass
class FinishedRuns:
    """Finished runs by finish time; ``keep`` is how long a finished run stays."""

    keep: timedelta
    _by_finish: list[tuple[datetime, str]] = field(default_factory=list)

    def note(self, before: RunView | None, after: RunView) -> None:
        """Remember ``after`` if this change finished it (or moved its finish)."""
        finished = after.finished_at
        if finished is not None and (before is None or before.finished_at != finished):
            heapq.heappush(self._by_finish, (finished, after.run_id))

    def expired(self, views: Mapping[str, RunView], now: datetime) -> list[str]:
        """The run ids in ``views`` that finished more than ``keep`` before ``now``, each
        once; a run started again or finished later since its entry is left alone."""
        cutoff = now - self.keep
        found: dict[str, None] = {}
        by_finish = self._by_finish
        while by_finish and by_finish[0][0] < cutoff:
            _, run_id = heapq.heappop(by_finish)
            view = views.get(run_id)
            if view is not None and view.finished_at is not None and view.finished_at < cutoff:
                found[run_id] = None
        return list(found)
