"""Admission: one queue per pipeline name, under ``max_active_runs``, a pause, a rate. Pure.

The per-run machine cannot cap runs (each run is decided alone, on the partition of its run
id), so runs that need admission ask here: ``Enqueue`` when they start, ``Release`` when they
end. Both travel keyed by pipeline name, so one partition (one coordinator) owns each
pipeline's queue and sees its requests in order; ``admit`` is applied to them one at a time.
Pausing and resuming the pipeline (``PausePipeline``, ``ResumePipeline``) and the wake of a
rate limit (``Wake``) travel the same way, so they are ordered with the enqueues.

- At most ``limit`` runs are active (``None``: no cap); the rest wait and are admitted from
  the head as slots free. A lower limit never evicts: it only admits fewer.
- While the pipeline is paused nothing is admitted; the resume admits from the head as the
  cap and the rate allow. A pause evicts nothing: admitted runs go on.
- A ``TokenRate`` admits at most ``burst`` runs at once and then one per ``interval_us``
  (a token bucket, kept as its theoretical arrival time ``tat_us``, the GCRA form: over any
  window of ``t`` microseconds at most ``burst + t / interval_us`` runs are admitted). When
  the next token is due, ``admission_wake_ms`` says when to send a ``Wake``.
- The queue is ordered by priority (higher first), then by arrival (FIFO among equals): a
  run enqueued with priority ``p`` goes behind every waiting run of priority ``>= p`` and
  ahead of the lower ones. A run's priority is fixed when it first arrives; a repeat with
  another priority changes nothing. An admitted run is never evicted for a higher one.
- An admitted run holds a slot in ``active`` (until its ``Release``) when the pipeline has a
  cap or a rate; a run that only waited for a pause to end holds nothing.
- At-least-once delivery is absorbed: a repeated ``Enqueue`` of a queued run changes nothing,
  and of an active run re-announces its admission (the run side ignores a repeated
  ``Admitted``; re-announcing heals an answer lost in a crash). ``Release`` of an unknown run
  changes nothing; a pause of a paused pipeline or a resume of a running one changes
  nothing.

Each message brings the cap and rate of the run's pinned version, and the state keeps the
last ones seen (``limit``, ``rate``): a pause, a resume and a wake carry none and use those.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Enqueue:
    """A run of the pipeline started (or asks again): admit it now or queue it."""

    run_id: str
    priority: int = 0


@dataclass(frozen=True, slots=True)
class Release:
    """A run of the pipeline ended: free its slot, or drop it from the queue."""

    run_id: str


@dataclass(frozen=True, slots=True)
class PausePipeline:
    """Admit nothing from now on, until ``ResumePipeline``."""

    by: str = ""
    reason: str = ""
    at_ms: int = 0


@dataclass(frozen=True, slots=True)
class ResumePipeline:
    """Admit again: the waiting runs from the head, as the cap and the rate allow."""

    by: str = ""
    reason: str = ""
    at_ms: int = 0


@dataclass(frozen=True, slots=True)
class Wake:
    """Time passed (a rate limit's next token came due): admit what it now allows."""


AdmissionEvent = Enqueue | Release | PausePipeline | ResumePipeline | Wake


@dataclass(frozen=True, slots=True)
class TokenRate:
    """A pipeline's ``rate_limit``: ``burst`` runs at once, then one per ``interval_us``."""

    interval_us: int
    burst: int = 1

    def __post_init__(self) -> None:
        if self.interval_us < 1 or self.burst < 1:
            raise ValueError(f"a rate needs interval_us >= 1 and burst >= 1, got {self}")

    @classmethod
    def per_second(cls, runs_per_second: float, burst: int = 1) -> TokenRate:
        """The interval rounded up to a whole microsecond: never faster than asked."""
        if not runs_per_second > 0:
            raise ValueError(f"runs_per_second must be > 0, got {runs_per_second!r}")
        return cls(max(1, -int(-1_000_000 // runs_per_second)), burst)

    def to_dict(self) -> dict[str, int]:
        return {"interval_us": self.interval_us, "burst": self.burst}


@dataclass(frozen=True, slots=True)
class PipelinePause:
    """Who paused the pipeline, why and when (epoch ms)."""

    by: str = ""
    reason: str = ""
    at_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "reason": self.reason, "at_ms": self.at_ms}


@dataclass(frozen=True, slots=True)
class AdmissionState:
    """One pipeline's admission: the run ids holding a slot, and those waiting, head first.

    ``priorities`` holds the priority of each waiting run whose priority is not 0; ``paused``
    the pause in force; ``limit`` and ``rate`` the last cap and rate seen; ``tat_us`` the
    token bucket (0: full)."""

    active: frozenset[str] = frozenset()
    queue: tuple[str, ...] = ()
    priorities: Mapping[str, int] = field(default_factory=dict)
    paused: PipelinePause | None = None
    limit: int | None = None
    rate: TokenRate | None = None
    tat_us: int = 0

    @property
    def empty(self) -> bool:
        return self.idle_at(0)

    def idle_at(self, now_ms: int) -> bool:
        """Nothing held, waiting or paused, and the bucket full at ``now_ms``: the state then
        admits exactly as a new one would, so it can be forgotten."""
        bucket_full = self.tat_us <= now_ms * 1000
        return not self.active and not self.queue and self.paused is None and bucket_full

    def priority(self, run_id: str) -> int:
        return self.priorities.get(run_id, 0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible (``active`` sorted, so equal states store equal bytes); each newer
        key only when it is set (older states have none)."""
        data: dict[str, Any] = {"active": sorted(self.active), "queue": list(self.queue)}
        if self.priorities:
            data["priorities"] = dict(sorted(self.priorities.items()))
        if self.paused is not None:
            data["paused"] = self.paused.to_dict()
        if self.limit is not None:
            data["limit"] = self.limit
        if self.rate is not None:
            data["rate"] = self.rate.to_dict()
        if self.tat_us:
            data["tat_us"] = self.tat_us
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdmissionState:
        """Rebuild from ``to_dict`` output; ValueError names a bad field."""
        active, queue = frozenset(_ids(data, "active")), tuple(_ids(data, "queue"))
        try:
            paused = _paused(data.get("paused"))
            rate = None if data.get("rate") is None else TokenRate(**data["rate"])
            limit, tat_us = data.get("limit"), int(data.get("tat_us", 0))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"admission state: {exc}") from exc
        return cls(active, queue, _priorities(data), paused, limit, rate, tat_us)


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


def _paused(value: Any) -> PipelinePause | None:
    if value is None:
        return None
    return PipelinePause(str(value["by"]), str(value["reason"]), int(value["at_ms"]))


def admit(
    state: AdmissionState,
    event: AdmissionEvent,
    limit: int | None = _UNSET,
    *,
    rate: TokenRate | None = _UNSET,
    now_ms: int = 0,
) -> tuple[AdmissionState, tuple[str, ...]]:
    """Apply one event at ``now_ms``; returns the new state and the runs to tell
    ``Admitted``, in order. ``limit`` and ``rate`` are those of the message's run (omitted:
    the state's last ones, as for a pause, a resume or a wake)."""
    if limit is not _UNSET and limit is not None and limit < 1:
        raise ValueError(f"max_active_runs must be >= 1, got {limit}")
    state = _configured(state, limit, rate)
    if isinstance(event, Enqueue) and event.run_id in state.active:
        return state, (event.run_id,)  # re-announce: see the module docstring
    return _fill(_applied(state, event), now_ms)


def _applied(state: AdmissionState, event: AdmissionEvent) -> AdmissionState:
    """The state after ``event``, before anything is admitted."""
    match event:
        case Enqueue():
            return state if event.run_id in state.queue else _enqueued(state, event)
        case Release():
            queue = tuple(r for r in state.queue if r != event.run_id)
            priorities = _without(state.priorities, {event.run_id})
            active = state.active - {event.run_id}
            return replace(state, active=active, queue=queue, priorities=priorities)
        case PausePipeline() if state.paused is None:
            return replace(state, paused=PipelinePause(event.by, event.reason, event.at_ms))
        case ResumePipeline() if state.paused is not None:
            return replace(state, paused=None)
    return state  # a wake, a repeated pause or resume: only time passed


def _configured(state: AdmissionState, limit: int | None, rate: TokenRate | None) -> AdmissionState:
    if limit is _UNSET:
        limit = state.limit
    if rate is _UNSET:
        rate = state.rate
    if (limit, rate) == (state.limit, state.rate):
        return state
    return replace(state, limit=limit, rate=rate)


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
    return replace(state, queue=queue, priorities=priorities)


def _without(priorities: Mapping[str, int], run_ids: Collection[str]) -> Mapping[str, int]:
    if not priorities or not any(r in priorities for r in run_ids):
        return priorities
    return {r: p for r, p in priorities.items() if r not in run_ids}


def _fill(state: AdmissionState, now_ms: int) -> tuple[AdmissionState, tuple[str, ...]]:
    """Admit from the head of the queue while the pause, the cap and the rate allow."""
    if state.paused is not None or not state.queue:
        return state, ()
    free = len(state.queue)
    if state.limit is not None:
        free = min(free, max(0, state.limit - len(state.active)))
    tat_us = state.tat_us
    if state.rate is not None:
        free, tat_us = _tokens(state.rate, tat_us, now_ms * 1000, free)
    if free == 0:
        return state, ()
    admitted = state.queue[:free]
    holding = state.limit is not None or state.rate is not None
    active = state.active | set(admitted) if holding else state.active
    priorities = _without(state.priorities, admitted)
    new = replace(state, active=active, queue=state.queue[free:], priorities=priorities)
    return replace(new, tat_us=tat_us), admitted


def _tokens(rate: TokenRate, tat_us: int, now_us: int, wanted: int) -> tuple[int, int]:
    """How many of ``wanted`` runs the bucket lets in at ``now_us``, and its new ``tat_us``."""
    slack = (rate.burst - 1) * rate.interval_us
    taken = 0
    while taken < wanted and tat_us - slack <= now_us:
        tat_us = max(tat_us, now_us) + rate.interval_us
        taken += 1
    return taken, tat_us


def admission_wake_ms(state: AdmissionState) -> int | None:
    """When a ``Wake`` would admit the head of the queue (its token is due), if only the rate
    holds it back; None when nothing waits, the pipeline is paused, every slot is taken (a
    release admits then) or there is no rate."""
    rate = state.rate
    if rate is None or not state.queue or state.paused is not None:
        return None
    if state.limit is not None and len(state.active) >= state.limit:
        return None
    due_us = state.tat_us - (rate.burst - 1) * rate.interval_us
    return -(-due_us // 1000)  # rounded up: a wake never comes before its token
