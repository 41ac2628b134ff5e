"""Admission under ``max_active_runs``: one queue per pipeline name. Pure.

The per-run machine cannot cap runs (each run is decided alone, on the partition of its run
id), so capped runs ask here: ``Enqueue`` when they start, ``Release`` when they end. Both
travel keyed by pipeline name, so one partition (one coordinator) owns each pipeline's queue
and sees its requests in order; ``admit`` is applied to them one at a time.

- At most ``limit`` runs are active; the rest wait in arrival order (FIFO) and are admitted
  from the head as slots free. A lower limit never evicts: it only admits fewer.
- At-least-once delivery is absorbed: a repeated ``Enqueue`` of a queued run changes nothing,
  and of an active run re-announces its admission (the run side ignores a repeated
  ``Admitted``; re-announcing heals an answer lost in a crash). ``Release`` of an unknown run
  changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Enqueue:
    """A run of the pipeline started (or asks again): admit it now or queue it."""

    run_id: str


@dataclass(frozen=True, slots=True)
class Release:
    """A run of the pipeline ended: free its slot, or drop it from the queue."""

    run_id: str


AdmissionEvent = Enqueue | Release


@dataclass(frozen=True, slots=True)
class AdmissionState:
    """One pipeline's admission: the run ids holding a slot, and those waiting, head first."""

    active: frozenset[str] = frozenset()
    queue: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.active and not self.queue

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-compatible (``active`` sorted, so equal states store equal bytes)."""
        return {"active": sorted(self.active), "queue": list(self.queue)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdmissionState:
        """Rebuild from ``to_dict`` output; ValueError names a bad field."""
        return cls(frozenset(_ids(data, "active")), tuple(_ids(data, "queue")))


def _ids(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"admission state: {name} must be a list of run ids, got {value!r}")
    return value


def admit(
    state: AdmissionState, event: AdmissionEvent, limit: int
) -> tuple[AdmissionState, tuple[str, ...]]:
    """Apply one event; returns the new state and the runs to tell ``Admitted``, in order."""
    if limit < 1:
        raise ValueError(f"max_active_runs must be >= 1, got {limit}")
    if isinstance(event, Enqueue):
        if event.run_id in state.active:
            return state, (event.run_id,)  # re-announce: see the module docstring
        if event.run_id not in state.queue:
            state = replace(state, queue=(*state.queue, event.run_id))
    else:
        active = state.active - {event.run_id}
        state = AdmissionState(active, tuple(r for r in state.queue if r != event.run_id))
    return _fill(state, limit)


def _fill(state: AdmissionState, limit: int) -> tuple[AdmissionState, tuple[str, ...]]:
    """Admit from the head of the queue while there are free slots."""
    free = max(0, limit - len(state.active))
    admitted = state.queue[:free]
    return AdmissionState(state.active | set(admitted), state.queue[free:]), admitted
