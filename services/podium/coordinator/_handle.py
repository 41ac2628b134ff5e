"""One message through the coordinator: decode, load state, decide, store, emit.

Kept apart from faust so the per-event path reads top to bottom. ``Handler``
holds no Kafka objects: the faust adapter passes the run table and a send
function in, and executes nothing the machine did not ask for.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field

from podium import events as wire
from podium.codec import Codec
from podium.coordinator._commands import (
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    WakeAt,
)
from podium.coordinator._inputs import Event, StartRun
from podium.coordinator._machine import Decision, decide
from podium.coordinator._state import RunState
from podium.coordinator._timers import TimerIndex
from podium.coordinator._translate import (
    Outgoing,
    admission_message,
    cancel_input,
    cancel_message,
    request_message,
    run_event_message,
    step_input,
    timer_input,
    to_millis,
)
from podium.errors import ConfigError
from podium.headers import trace_context
from podium.pipelines import Pipeline, resolve_params
from podium.settings import TopicNames

log = logging.getLogger("podium.coordinator")

PipelineLookup = Callable[[str, int | None], Pipeline]
"""(name, version or None for the latest) -> Pipeline; raises for unknown ones."""


class Rejected(Exception):
    """A message the coordinator cannot process; ``reason`` is the DLQ reason code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Handler:
    codec: Codec
    topics: TopicNames
    pipelines: PipelineLookup
    timers: TimerIndex
    clock: Callable[[], float] = time.time
    counters: Counter[str] = field(default_factory=Counter)

    def handle(
        self,
        topic: str,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, bytes],
    ) -> list[Outgoing]:
        """Apply one message; returns what to produce. Raises Rejected for a dead letter."""
        now_ms = int(self.clock() * 1000)
        event, pipeline = self._event(topic, value, headers, table)
        if event is None:  # a start for a run that exists: idempotent, nothing to do
            self.counters["ignored:duplicate"] += 1
            return []
        state = _load(table.get(event.run_id))
        if state is not None and pipeline is None:
            pipeline = self.pipelines(state.pipeline, state.version)
        if pipeline is None:
            self.counters["ignored:unknown-run"] += 1
            return []
        decision = decide(state, event, pipeline, now_ms)
        return self._apply(decision, state, pipeline, table, now_ms)

    def _event(
        self,
        topic: str,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, bytes],
    ) -> tuple[Event | None, Pipeline | None]:
        if topic == self.topics.timers:
            return _checked(timer_input, value), None
        expected = _EXPECTED.get(topic == self.topics.runs, ())
        decoded = self.codec.decode_event(value)
        if not isinstance(decoded, expected):
            raise Rejected("wrong-type", f"{type(decoded).__name__} does not belong on {topic}")
        if isinstance(decoded, wire.RunRequested):
            return self._start(decoded, headers, table)
        if isinstance(decoded, wire.RunCancelRequested):
            return cancel_input(decoded), None
        return step_input(decoded), None

    def _start(
        self,
        event: wire.RunRequested,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, bytes],
    ) -> tuple[Event | None, Pipeline | None]:
        if event.run_id in table:
            return None, None
        version = int(event.pipeline_version) if event.pipeline_version else None
        try:
            pipeline = self.pipelines(event.pipeline, version)
        except KeyError as exc:
            raise Rejected("unknown-pipeline", str(exc)) from exc
        try:
            params = resolve_params(pipeline, json.loads(event.params_json))
        except (ConfigError, ValueError) as exc:
            raise Rejected("validation", str(exc)) from exc
        start = StartRun(
            run_id=event.run_id,
            pipeline=pipeline.name,
            version=pipeline.version,
            params=params,
            trigger=event.trigger.model_dump(mode="json"),
            requested_at_ms=to_millis(event.requested_at),
            trace=trace_context(headers),
        )
        return start, pipeline

    def _apply(
        self,
        decision: Decision,
        before: RunState | None,
        pipeline: Pipeline,
        table: MutableMapping[str, bytes],
        now_ms: int,
    ) -> list[Outgoing]:
        if decision.ignored:
            self.counters[f"ignored:{decision.ignored}"] += 1
        state = decision.state
        if state is not None and state is not before:
            table[state.run_id] = json.dumps(state.to_dict()).encode()
        out: list[Outgoing] = []
        for command in decision.commands:
            if isinstance(command, WakeAt):
                self.timers.set(command.run_id, command.at_ms)
            elif state is not None:
                out.extend(self._message(command, state, pipeline, now_ms))
        self.counters["events"] += 1
        return out

    def _message(
        self, command: object, state: RunState, pipeline: Pipeline, now_ms: int
    ) -> list[Outgoing]:
        if isinstance(command, RequestStep):
            return [request_message(self.codec, command, pipeline.name, pipeline.version, now_ms)]
        if isinstance(command, RequestAdmission | ReleaseAdmission):
            topic = self.topics.admissions
            return [admission_message(topic, command, pipeline.max_active_runs)]
        if isinstance(command, EmitRunEvent):
            topic = self.topics.run_events
            return [
                run_event_message(
                    self.codec, command, topic, pipeline.name, pipeline.version, state.trace
                )
            ]
        if isinstance(command, NotifyCancel):  # the service stops it; a late result is ignored
            return [cancel_message(self.codec, command, now_ms, state.trace, state.reason)]
        log.error("run %s: no message for command %r", state.run_id, command)
        self.counters["unhandled-commands"] += 1
        return []


_EXPECTED: dict[bool, tuple[type[wire.PodiumModel], ...]] = {
    True: (wire.RunRequested, wire.RunCancelRequested),
    False: (wire.StepCompleted, wire.StepFailed, wire.StepHeartbeat),
}


def _checked(parse: Callable[[bytes | None], Event], value: bytes | None) -> Event:
    try:
        return parse(value)
    except ValueError as exc:
        raise Rejected("decode", str(exc)) from exc


def _load(raw: bytes | None) -> RunState | None:
    return None if raw is None else RunState.from_dict(json.loads(raw))


def rebuild_timers(timers: TimerIndex, table_values: Sequence[bytes]) -> None:
    """Refill the timer index from the table (after recovery or a rebalance)."""
    from podium.coordinator._machine import next_wake_ms

    timers.clear()
    for raw in table_values:
        state = _load(raw)
        if state is not None:
            timers.set(state.run_id, next_wake_ms(state))
