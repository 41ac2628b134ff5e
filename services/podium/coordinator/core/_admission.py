"""Admission under ``max_active_runs``: one queue per pipeline name. Pure.

The per-run machine cannot cap runs (each run is decided alone, on the partition of its run
id), so capped runs ask here: ``Enqueue`` when they start, ``Release`` when they end. Both
travel keyed by pipeline name, so one partition (one coordinator) owns each pipeline's queue
and sees its requests in order; ``admit`` is applied to them one at a time.

- At most ``limit`` runs are active; the rest wait and are admitted from the head as slots
  free. A lower limit never evicts: it only admits fewer.
- The queue is ordered by priority (higher first), then by arrival (FIFO among equals): a
  run enqueued with priority ``p`` goes behind every waiting run of priority ``>= p`` and
  ahead of the lower ones. A run's priority is fixed when it first arrives; a repeat with
  another priority changes nothing. An admitted run is never evicted for a higher one.
- At-least-once delivery is absorbed: a repeated ``Enqueue`` of a queued run changes nothing,
  and of an active run re-announces its admission (the run side ignores a repeated
  ``Admitted``; re-announcing heals an answer lost in a crash). ``Release`` of an unknown run
  changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class Enqueue:
    """A run of the pipeline started (or asks again): admit it now or queue it."""

    run_id: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Release:
    """A run of the pipeline ended: free its slot, or drop it from the queue."""

    run_id: str


AdmissionEvent = Enqueue | Release


@dataclass(frozen=True, slots=True)
class AdmissionState:
    """One pipeline's admission: the run ids holding a slot, and those waiting, head first.

    ``priorities`` holds the priority of each waiting run whose priority is not 0."""

    active: frozenset[str] = frozenset()
    queue: tuple[str, ...] = ()
    priorities: Mapping[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.active and not self.queue

    def priority(self, run_id: str) -> int:
        return self.priorities.get(run_id, 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible (``active`` sorted, so equal states store equal bytes); the
        ``priorities`` key only when a waiting run has one (older states have none)."""
        data: dict[str, Any] = {"active": sorted(self.active), "queue": list(self.queue)}
        if self.priorities:
            data["priorities"] = dict(sorted(self.priorities.items()))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdmissionState:
        """Rebuild from ``to_dict`` output; ValueError names a bad field."""
        active, queue = frozenset(_ids(data, "active")), tuple(_ids(data, "queue"))
        return cls(active, queue, _priorities(data))


def _ids(data: Mapping[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"admission state: {name} must be a list of run ids, got {value!r}")
    return value


def _priorities(data: Mapping[str, Any]) -> dict[str, int]:
    value = data.get("priorities", {})
    if not isinstance(value, dict) or not all(
        isinstance(p, int) and not isinstance(p, bool) for p in value.values()
    ):
        raise ValueError(f"admission state: priorities must map run ids to ints, got {value!r}")
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
            state = _enqueued(state, event)
    else:
        active = state.active - {event.run_id}
        queue = tuple(r for r in state.queue if r != event.run_id)
        state = AdmissionState(active, queue, _without(state.priorities, {event.run_id}))
    return _fill(state, limit)


def _enqueued(state: AdmissionState, event: Enqueue) -> AdmissionState:
    """The run placed behind every waiting run of its priority or higher."""
    if event.priority == 0 and not state.priorities:  # all equal: the plain FIFO
        return replace(state, queue=(*state.queue, event.run_id))
    at = len(state.queue)
    while at > 0 and state.priority(state.queue[at - 1]) < event.priority:
        at -= 1
    queue = (*state.queue[:at], event.run_id, *state.queue[at:])
    priorities = dict(state.priorities)
    if event.priority:
        priorities[event.run_id] = event.priority
    return AdmissionState(state.active, queue, priorities)


def _without(priorities: Mapping[str, int], run_ids: Collection[str]) -> Mapping[str, int]:
    if not priorities or not any(r in priorities for r in run_ids):
        return priorities
    return {r: p for r, p in priorities.items() if r not in run_ids}


def _fill(state: AdmissionState, limit: int) -> tuple[AdmissionState, tuple[str, ...]]:
    """Admit from the head of the queue while there are free slots."""
    free = max(0, limit - len(state.active))
    admitted = state.queue[:free]
    priorities = _without(state.priorities, admitted)
    return AdmissionState(state.active | set(admitted), state.queue[free:], priorities), admitted
