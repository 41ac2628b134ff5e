"""One admission message through the coordinator: decode, load the queue, admit, store, answer.

The internal topic ``podium.coordinator.admissions`` is keyed by pipeline name, so one
partition owns each pipeline's queue and sees its messages in order. It carries the runs'
requests (the coordinator's own JSON)::

    {"kind": "enqueue" | "release", "run_id": "<run id>", "pipeline": "<name>",
     "limit": <n, absent: no cap>, "rate": {"runs_per_second": <x>, "burst": <n>} (absent:
     none), "priority": <int, enqueue only, absent for 0>}
    {"kind": "wake", "pipeline": "<name>"}      (a rate limit's next token is due)

and the contract's ``PipelineControlRequested`` (Avro, single-object encoded: its first
byte is never ``{``), which pauses or resumes the pipeline.

``limit`` and ``rate`` are those of the version the run is pinned to; each message is
applied with its own, so a new version's take effect with its first message (a pause, a
resume or a wake uses the last ones seen). Every admitted run is told with
``{"kind": "admitted", "run_id": ...}`` on the timers topic, keyed by run id, which the runs
agent already consumes. Each pause or resume applied is written to the registry topic
(``podium.registry.pause_at_ms``), where every coordinator learns which pipelines are paused.
When a rate limit holds the head of a queue back, ``wakes`` says when to send a wake. Like
``Handler``, this holds no Kafka objects: the engine passes the table (pipeline name ->
AdmissionState JSON) in.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from podium._json_limits import read_json
from podium.codec import Codec, CodecError
from podium.contract import PipelineControlRequested, RunControlAction, routing_headers
from podium.coordinator._handle import Rejected
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import admitted_value, to_millis
from podium.coordinator.core._admission import (
    AdmissionEvent,
    AdmissionState,
    Enqueue,
    PausePipeline,
    Release,
    ResumePipeline,
    TokenRate,
    Wake,
    admission_wake_ms,
    admit,
)
from podium.registry import pause_at_ms
from podium.streams import Outgoing

log = logging.getLogger("podium.coordinator")

_KINDS: dict[str, type[Enqueue] | type[Release]] = {"enqueue": Enqueue, "release": Release}

Limits = tuple[int | None, TokenRate | None]


@dataclass(frozen=True, slots=True)
class AdmissionRequest:
    """A decoded admissions message; ``limits`` is None for one that carries none (a pause,
    a resume, a wake: the state's last ones apply)."""

    pipeline: str
    event: AdmissionEvent
    limits: Limits | None = None


def admission_input(value: bytes | None, codec: Codec | None = None) -> AdmissionRequest:
    """Parse an admissions message; ValueError names what is wrong."""
    raw = value or b""
    if raw[:1] != b"{" and codec is not None:
        return _control(raw, codec)
    data = read_json(raw)
    if not isinstance(data, dict):
        raise ValueError("an admissions message is a JSON object")
    name = data.get("kind")
    if name == "wake":
        return AdmissionRequest(_text(data, "pipeline"), Wake())
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ValueError(f"kind must be 'enqueue', 'release' or 'wake', not {name!r}")
    run_id, pipeline = _text(data, "run_id"), _text(data, "pipeline")
    limit = data.get("limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be an integer >= 1, not {limit!r}")
    return AdmissionRequest(pipeline, _event(kind, run_id, data), (limit, _rate(data)))


def _control(raw: bytes, codec: Codec) -> AdmissionRequest:
    try:
        event = codec.decode_event(raw, PipelineControlRequested)
    except CodecError as exc:
        raise ValueError(f"neither JSON nor a PipelineControlRequested: {exc}") from exc
    by, reason, at_ms = event.requested_by or "", event.reason or "", to_millis(event.requested_at)
    if event.action is RunControlAction.PAUSE:
        return AdmissionRequest(event.pipeline, PausePipeline(by, reason, at_ms))
    if event.action is RunControlAction.RESUME:
        return AdmissionRequest(event.pipeline, ResumePipeline(by, reason, at_ms))
    raise ValueError(f"a pipeline is paused or resumed, not {event.action.value}")


def _rate(data: Mapping[str, Any]) -> TokenRate | None:
    rate = data.get("rate")
    if rate is None:
        return None
    try:
        return TokenRate.per_second(float(rate["runs_per_second"]), int(rate.get("burst", 1)))
    except (TypeError, KeyError, ValueError, AttributeError) as exc:
        raise ValueError(f"rate must be {{runs_per_second, burst}}, not {rate!r}") from exc


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


def wake_value(pipeline: str) -> bytes:
    """The admission side's own wake for ``pipeline`` (see ``wakes``)."""
    return json.dumps({"kind": "wake", "pipeline": pipeline}).encode()


@dataclass
class AdmissionHandler:
    timers_topic: str
    registry_topic: str = "podium.pipelines"
    codec: Codec | None = None
    clock: Callable[[], float] = time.time
    counters: Counter[str] = field(default_factory=Counter)
    queued: dict[str, int] = field(default_factory=dict)
    """Runs waiting per pipeline, in the queues held here (read by the metrics)."""
    paused: set[str] = field(default_factory=set)
    """The paused pipelines among those held here (read by the metrics)."""
    wakes: TimerIndex = field(default_factory=TimerIndex)
    """When each rate-limited pipeline's next token is due (keyed by pipeline name)."""
    on_pause: Callable[[str, bool], None] | None = None
    """Told (pipeline, paused) when a pause or resume is applied here, so this process
    routes the pipeline's next runs at once (the others learn it from the registry)."""

    def handle(self, value: bytes | None, table: MutableMapping[str, bytes]) -> list[Outgoing]:
        """Apply one message; returns the Admitted answers (and a pause's registry record).
        Raises Rejected for a dead letter."""
        try:
            request = admission_input(value, self.codec)
        except ValueError as exc:
            raise Rejected("decode", str(exc), getattr(exc, "detail", None)) from exc
        now_ms = int(self.clock() * 1000)
        raw = table.get(request.pipeline)
        state = AdmissionState() if raw is None else AdmissionState.from_dict(json.loads(raw))
        if request.limits is None:
            new, admitted = admit(state, request.event, now_ms=now_ms)
        else:
            limit, rate = request.limits
            new, admitted = admit(state, request.event, limit, rate=rate, now_ms=now_ms)
        if new != state:
            _store(table, request.pipeline, new, now_ms)
        self._note(request.pipeline, new)
        self._count(request.event, state, admitted)
        out = [self._admitted(run_id) for run_id in admitted]
        if isinstance(request.event, PausePipeline | ResumePipeline):
            if self.on_pause is not None:
                self.on_pause(request.pipeline, new.paused is not None)
            out.append(self._pause_record(request.pipeline, request.event, new))
        return out

    def recount(self, tables: Iterable[Mapping[str, bytes]]) -> None:
        """Count the waiting runs and the paused pipelines again from the queues held, and
        set their wakes (after an assignment)."""
        self.queued.clear()
        self.paused.clear()
        self.wakes.clear()
        for table in tables:
            for pipeline, raw in table.items():
                self._note(pipeline, AdmissionState.from_dict(json.loads(raw)))

    def _note(self, pipeline: str, state: AdmissionState) -> None:
        self.queued[pipeline] = len(state.queue)
        if state.paused is None:
            self.paused.discard(pipeline)
        else:
            self.paused.add(pipeline)
        self.wakes.set(pipeline, admission_wake_ms(state))

    def _count(
        self, event: AdmissionEvent, before: AdmissionState, admitted: tuple[str, ...]
    ) -> None:
        self.counters[f"admission:{type(event).__name__.lower()}"] += 1
        self.counters["admission:admitted"] += len(admitted)
        if isinstance(event, PausePipeline) and before.paused is not None:
            self.counters["ignored:pipeline-already-paused"] += 1
        elif isinstance(event, ResumePipeline) and before.paused is None:
            self.counters["ignored:pipeline-not-paused"] += 1

    def _pause_record(
        self, pipeline: str, event: PausePipeline | ResumePipeline, state: AdmissionState
    ) -> Outgoing:
        """The pipeline's pause state after ``event``, for the registry (written even when the
        event changed nothing: a repeat heals a record lost in a crash)."""
        pause = state.paused
        if pause is not None:
            record = pause_at_ms(pipeline, True, pause.by, pause.reason, pause.at_ms)
        else:
            record = pause_at_ms(pipeline, False, event.by, event.reason, event.at_ms)
        log.info("pipeline %s %s", pipeline, "paused" if pause else "resumed")
        return Outgoing(self.registry_topic, record.key, record.value, record.headers)

    def _admitted(self, run_id: str) -> Outgoing:
        headers = routing_headers(run_id)
        return Outgoing(self.timers_topic, run_id.encode(), admitted_value(run_id), headers)


def _store(
    table: MutableMapping[str, bytes], pipeline: str, state: AdmissionState, now_ms: int
) -> None:
    """An idle pipeline's entry is deleted (a tombstone, so the changelog compacts it away)."""
    if state.idle_at(now_ms):
        table.pop(pipeline, None)
    else:
        table[pipeline] = json.dumps(state.to_dict()).encode()
