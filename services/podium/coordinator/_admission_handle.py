"""One admission message through the coordinator: decode, load the queue, admit, store, answer.

The wire format of the internal topic ``podium.coordinator.admissions`` (keyed by pipeline
name, so one partition owns each pipeline's queue and sees its messages in order):

    {"kind": "enqueue" | "release", "run_id": "<run id>", "pipeline": "<name>", "limit": <n>,
     "priority": <int, enqueue only, absent for 0>}

``limit`` is the ``max_active_runs`` of the version the run is pinned to; each message is
applied with its own limit, so a new version's limit takes effect with its first message.
Every admitted run is told with ``{"kind": "admitted", "run_id": ...}`` on the timers topic,
keyed by run id, which the runs agent already consumes. Like ``Handler``, this holds no Kafka
objects: the engine passes the table (pipeline name -> AdmissionState JSON) in.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from podium._json_limits import read_json
from podium.contract import routing_headers
from podium.coordinator._handle import Rejected
from podium.coordinator._translate import admitted_value
from podium.coordinator.core._admission import (
    AdmissionEvent,
    AdmissionState,
    Enqueue,
    Release,
    admit,
)
from podium.streams import Outgoing

_KINDS: dict[str, type[Enqueue] | type[Release]] = {"enqueue": Enqueue, "release": Release}


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """A decoded admissions message."""

    pipeline: str
    event: AdmissionEvent
    limit: int


def admission_input(value: bytes | None) -> AdmissionRequest:
    """Parse an admissions message; ValueError names what is wrong."""
    data = read_json(value or b"")
    if not isinstance(data, dict):
        raise ValueError("an admissions message is a JSON object")
    name = data.get("kind")
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"kind must be 'enqueue' or 'release', not {name!r}")
    run_id, pipeline = _text(data, "run_id"), _text(data, "pipeline")
    limit = data.get("limit")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be an integer >= 1, not {limit!r}")
    return AdmissionRequest(pipeline, _event(kind, run_id, data), limit)


def _event(
    kind: type[Enqueue] | type[Release], run_id: str, data: Mapping[str, Any]
) -> AdmissionEvent:
    if kind is Release:
        return Release(run_id)
    priority = data.get("priority", 0)
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ValueError(f"priority must be an integer, not {priority!r}")
    return Enqueue(run_id, priority)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, not {value!r}")
    return value


@dataclass
class AdmissionHandler:
    timers_topic: str
    counters: Counter[str] = field(default_factory=Counter)
    queued: dict[str, int] = field(default_factory=dict)
    """Runs waiting per pipeline, in the queues held here (read by the metrics)."""

    def handle(self, value: bytes | None, table: MutableMapping[str, bytes]) -> list[Outgoing]:
        """Apply one message; returns the Admitted answers. Raises Rejected for a dead letter."""
        try:
            request = admission_input(value)
        except ValueError as exc:
            raise Rejected("decode", str(exc), getattr(exc, "detail", None)) from exc
        raw = table.get(request.pipeline)
        state = AdmissionState() if raw is None else AdmissionState.from_dict(json.loads(raw))
        new, admitted = admit(state, request.event, request.limit)
        if new != state:
            _store(table, request.pipeline, new)
            self.queued[request.pipeline] = len(new.queue)
        self.counters[f"admission:{type(request.event).__name__.lower()}"] += 1
        self.counters["admission:admitted"] += len(admitted)
        return [self._admitted(run_id) for run_id in admitted]

    def recount(self, tables: Iterable[Mapping[str, bytes]]) -> None:
        """Count the waiting runs again from the queues held (after an assignment)."""
        self.queued = {
            pipeline: len(AdmissionState.from_dict(json.loads(raw)).queue)
            for table in tables
            for pipeline, raw in table.items()
        }

    def _admitted(self, run_id: str) -> Outgoing:
        headers = routing_headers(run_id)
        return Outgoing(self.timers_topic, run_id.encode(), admitted_value(run_id), headers)


def _store(table: MutableMapping[str, bytes], pipeline: str, state: AdmissionState) -> None:
    """An idle pipeline's entry is deleted (a tombstone, so the changelog compacts it away)."""
    if state.empty:
        table.pop(pipeline, None)
    else:
        table[pipeline] = json.dumps(state.to_dict()).encode()
