"""A pipeline's recent record: how its last finished runs ended and how long they took. Pure.

``GET /v1/pipelines`` shows it beside each pipeline, over its last
:data:`RECENT_RUNS` finished runs (the read model keeps them in finish order, so
this never looks at more). A run counts as failed when it ended FAILED or
COMPENSATED; a cancelled one is neither success nor failure, so the success rate
is ``succeeded / (succeeded + failed)``, null when there is neither.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podium.contract import RunStatus
from podium.runs._view import RunView

RECENT_RUNS = 100
_FAILED = frozenset({RunStatus.FAILED, RunStatus.COMPENSATED})


@dataclass(frozen=True, slots=True)
class RecentStats:
    runs: int = 0
    succeeded: int = 0
    failed: int = 0
    duration_p50_s: float | None = None
    duration_p95_s: float | None = None

    @property
    def success_rate(self) -> float | None:
        decided = self.succeeded + self.failed
        return None if decided == 0 else round(self.succeeded / decided, 4)

    def as_json(self) -> dict[str, Any]:
        """What ``GET /v1/pipelines`` shows as a pipeline's ``recent``."""
        return {
            "runs": self.runs,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "success_rate": self.success_rate,
            "duration_p50_s": self.duration_p50_s,
            "duration_p95_s": self.duration_p95_s,
        }


def recent_stats(finished: Sequence[RunView]) -> RecentStats:
    """Counts and duration percentiles (nearest rank) of ``finished`` runs."""
    durations = sorted(_duration_s(v) for v in finished)
    return RecentStats(
        runs=len(finished),
        succeeded=sum(v.status is RunStatus.SUCCEEDED for v in finished),
        failed=sum(v.status in _FAILED for v in finished),
        duration_p50_s=percentile(durations, 50),
        duration_p95_s=percentile(durations, 95),
    )


def percentile(ordered: Sequence[float], pct: float) -> float | None:
    """The nearest-rank percentile of ascending ``ordered``: a value it holds; None if empty."""
    if not ordered:
        return None
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def _duration_s(view: RunView) -> float:
    finished = view.finished_at or view.updated_at
    return round(max((finished - view.created_at).total_seconds(), 0.0), 3)
