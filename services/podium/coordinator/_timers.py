"""The coordinator's timer index: the next wake-up of each run, in a heap.

The machine answers every decision with ``WakeAt(run_id, at_ms)``; this index
keeps only the latest wish per run, so due timers are found without scanning
the table. Stale heap entries (a run's wake-up moved or was cleared) are
skipped when popped. Rebuilt from the table after recovery or a rebalance.
"""

from __future__ import annotations

import heapq


class TimerIndex:
    def __init__(self) -> None:
        self._heap: list[tuple[int, str]] = []
        self._wanted: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._wanted)

    def set(self, run_id: str, at_ms: int | None) -> None:
        """Wake ``run_id`` at ``at_ms`` (replacing any earlier wish), or never when None."""
        if at_ms is None:
            self._wanted.pop(run_id, None)
            return
        if self._wanted.get(run_id) == at_ms:
            return
        self._wanted[run_id] = at_ms
        heapq.heappush(self._heap, (at_ms, run_id))

    def pop_due(self, now_ms: int) -> list[tuple[str, int]]:
        """Every run whose wake-up is at or before ``now_ms``, removed from the index."""
        due: list[tuple[str, int]] = []
        while self._heap and self._heap[0][0] <= now_ms:
            at_ms, run_id = heapq.heappop(self._heap)
            if self._wanted.get(run_id) == at_ms:
                del self._wanted[run_id]
                due.append((run_id, at_ms))
        return due

    def clear(self) -> None:
        self._heap.clear()
        self._wanted.clear()
