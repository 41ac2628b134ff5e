"""One message through the coordinator: decode, load state, decide, store, emit.

Kept apart from Kafka so the per-event path reads top to bottom. ``Handler``
holds no Kafka objects: the engine (``_engine``) passes the run table and a send
function in, and executes nothing the machine did not ask for.

What is dead-lettered (``Rejected``, reason codes of :mod:`podium.dlq`): a message over
``max_message_bytes``; a RunRequested naming an unknown pipeline, with invalid params or
params over ``max_params_bytes``; a step result (StepCompleted, StepFailed, StepHeartbeat)
for a run id with no state at all (``unknown-run``). A result for a *finished* run is not
unknown: its state exists, and the machine ignores and counts it.

Can a result arrive before its run's state exists, and be dead-lettered wrongly? Not in
normal operation: a StepRequested is produced only by ``_apply`` after the new state is in
the table, results are keyed by run id on a topic co-partitioned with the table, so the
instance that applies a result is the one that wrote the state, and its table is updated
in memory before the request leaves. One window remains, after a crash: the engine writes the
table's changelog and our messages with one non-transactional producer, so if an instance
dies after its StepRequested was sent but before the changelog record was, the new owner
rebuilds the table without that state and re-reads the uncommitted RunRequested; if it
meets the service's result (another topic, no order across topics) first, that result is
dead-lettered as ``unknown-run``. Nothing is lost: the re-read RunRequested starts the run
and requests the step again, and the dead letter can be replayed (a stale attempt is then
ignored and counted). Cancels and timers for an unknown run are still only counted.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podium import contract as wire
from podium._json_limits import read_json
from podium.codec import Codec
from podium.contract import ParentStep, StepError, trace_context
from podium.coordinator._budget import (
    SMALL_BYTES,
    Budget,
    brought_bytes,
    output_refusal,
    oversized_message,
    oversized_state,
    too_large_failure,
)
from podium.coordinator._observe import Tally
from podium.coordinator._spans import span_notes
from podium.coordinator._timers import TimerIndex
from podium.coordinator._traceids import event_trace, step_trace
from podium.coordinator._translate import (
    admission_message,
    cancel_input,
    cancel_message,
    child_cancel_message,
    child_run_message,
    control_input,
    map_page_message,
    request_message,
    run_event_message,
    step_input,
    step_result_message,
    timer_input,
    to_millis,
)
from podium.coordinator.core._commands import (
    CancelChildRun,
    EmitRunEvent,
    NotifyCancel,
    ReleaseAdmission,
    RequestAdmission,
    RequestStep,
    SendStepResult,
    StartChildRun,
    WakeAt,
    WriteMapPage,
)
from podium.coordinator.core._inputs import (
    Event,
    RetryRun,
    StartRun,
    StepFailedEvent,
    StepSucceeded,
)
from podium.coordinator.core._machine import Decision, decide
from podium.coordinator.core._state import RunState
from podium.errors import ConfigError
from podium.pipelines import (
    LimitError,
    Pipeline,
    check_message_size,
    check_params_size,
    resolve_params,
)
from podium.runs import same_params
from podium.settings import LimitsSettings, TopicNames
from podium.streams import Outgoing, PartitionStore

log = logging.getLogger("podium.coordinator")

PipelineLookup = Callable[[str, int | None], Pipeline]
"""(name, version or None for the latest) -> Pipeline; raises for unknown ones."""


CHILD_REFUSED = "ChildRunRefused"
"""The error type a parent's step gets when its child's RunRequested is refused."""


class ChildRefused(Exception):
    """A child run's RunRequested that cannot start: ``answer`` (its parent step's failure)
    is produced in place of the run."""

    def __init__(self, answer: Outgoing) -> None:
        super().__init__(answer.topic)
        self.answer = answer


class Rejected(Exception):
    """A message the coordinator cannot process; ``reason`` is the DLQ reason code (one of
    ``podium.dlq.REASONS``), ``detail`` the finer one (``podium-dlq-detail``)."""

    def __init__(self, reason: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail or reason

    @classmethod
    def over_limit(cls, error: LimitError) -> Rejected:
        return cls("validation", str(error), error.detail)


@dataclass
class Handler:
    codec: Codec
    topics: TopicNames
    pipelines: PipelineLookup
    timers: TimerIndex
    clock: Callable[[], float] = time.time
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    counters: Counter[str] = field(default_factory=Counter)
    tally: Tally = field(default_factory=Tally)
    """The metrics' counts of the decisions applied since ``_metrics`` last took them."""
    tracing: bool = False
    """Record spans (``_spans``) and give each step request its attempt's span id; off,
    nothing of it runs."""
    paused: Container[str] = frozenset()
    """The names of the paused pipelines, as the registry has them (kept current by it): a
    run of one starts queued, asking for admission (one set lookup per start)."""
    budget: Budget = field(init=False)

    def __post_init__(self) -> None:
        self.budget = Budget(self.limits.max_message_bytes, self.limits.max_output_bytes)

    def take_tally(self) -> Tally:
        """The metrics' counts since the last call; a new tally starts."""
        taken, self.tally = self.tally, Tally()
        return taken

    def handle(
        self,
        topic: str,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, RunState],
        appended_ms: int | None = None,
    ) -> list[Outgoing]:
        """Apply one message; returns what to produce. Raises Rejected for a dead letter.
        ``appended_ms``: when a step result was appended (its transition's start)."""
        now_ms = int(self.clock() * 1000)
        self._check_size(topic, value)
        try:
            event, pipeline, output_bytes = self._event(topic, value, headers, table)
        except ChildRefused as child:
            return [child.answer]
        if event is None:  # a start for a run that exists: idempotent, nothing to do
            self.counters["ignored:duplicate"] += 1
            return []
        state = table.get(event.run_id)
        if state is not None and pipeline is None:
            pipeline = self.pipelines(state.pipeline, state.version)
        if pipeline is None:
            self._unknown_run(topic, event)
            return []
        if isinstance(event, StepSucceeded):
            refused = output_refusal(event, output_bytes, self.budget)
            if refused is not None:
                event = self._refuse(event, refused)
        decision = decide(state, event, pipeline, now_ms)
        decision, out = self._fitted(state, event, output_bytes, pipeline, decision, now_ms)
        self._apply(decision, state, table)
        self.tally.add(decision, state is None, appended_ms)
        if self.tracing:
            self.tally.spans.extend(span_notes(decision, now_ms))
        return out

    def _fitted(
        self,
        state: RunState | None,
        event: Event,
        output_bytes: int,
        pipeline: Pipeline,
        decision: Decision,
        now_ms: int,
    ) -> tuple[Decision, list[Outgoing]]:
        """The decision and its messages once they fit the budget (see ``_budget``): a step
        result that makes them too large becomes its step's failure; anything else that
        does not fit is Rejected, the run's state left as it was."""
        out = self._messages(decision, pipeline, now_ms)
        why = self._over_budget(state, event, output_bytes, pipeline, decision, out)
        if why is None:
            return decision, out
        if isinstance(event, StepSucceeded | StepFailedEvent):
            event = self._refuse(event, why)
            decision = decide(state, event, pipeline, now_ms)
            out = self._messages(decision, pipeline, now_ms)
            why = self._over_budget(state, event, 0, pipeline, decision, out)
            if why is None:
                return decision, out
        raise Rejected("validation", f"run {event.run_id}: {why}", "max-message-bytes")

    def _over_budget(
        self,
        before: RunState | None,
        event: Event,
        output_bytes: int,
        pipeline: Pipeline,
        decision: Decision,
        out: list[Outgoing],
    ) -> str | None:
        why = oversized_message(out, self.budget)
        state = decision.state
        if why is None and state is not before and brought_bytes(event, output_bytes) > SMALL_BYTES:
            why = oversized_state(state, len(pipeline.steps), self.budget, _encoded_size)
        return why

    def _refuse(self, event: StepSucceeded | StepFailedEvent, why: str) -> StepFailedEvent:
        self.counters["refused:too-large"] += 1
        log.warning(
            "run %s: step %s attempt %d failed: %s", event.run_id, event.step, event.attempt, why
        )
        return too_large_failure(event, why)

    def _check_size(self, topic: str, value: bytes | None) -> None:
        try:
            check_message_size(value, self.limits, f"message on {topic}")
        except LimitError as exc:
            raise Rejected.over_limit(exc) from exc

    def _unknown_run(self, topic: str, event: Event) -> None:
        """A step result for a run with no state: dead-lettered (see the module docstring);
        anything else (a cancel, a timer) is counted."""
        if topic == self.topics.step_results:
            raise Rejected("unknown-run", f"no run {event.run_id!r} is known to the coordinator")
        self.counters["ignored:unknown-run"] += 1

    def _event(
        self,
        topic: str,
        value: bytes | None,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, RunState],
    ) -> tuple[Event | None, Pipeline | None, int]:
        """The machine's event, the pipeline if a start names it, and the bytes of a
        success's output JSON."""
        if topic == self.topics.timers:
            return _checked(timer_input, value), None, 0
        expected = _EXPECTED.get(topic == self.topics.runs, ())
        decoded = self.codec.decode_event(value)
        if not isinstance(decoded, expected):
            raise Rejected("wrong-type", f"{type(decoded).__name__} does not belong on {topic}")
        if isinstance(decoded, wire.RunRequested):
            return *self._start(decoded, headers, table), 0
        if isinstance(decoded, wire.RunCancelRequested):
            return cancel_input(decoded), None, 0
        if isinstance(decoded, wire.RunControlRequested):
            return *self._control(decoded, table), 0
        try:
            event = step_input(decoded)
        except ValueError as exc:  # output_json: not JSON, or past the JSON bounds
            raise Rejected("validation", f"output_json: {exc}", _detail(exc)) from exc
        if isinstance(decoded, wire.StepCompleted):
            return event, None, _utf8_size(decoded.output_json)
        return event, None, 0

    def _start(
        self,
        event: wire.RunRequested,
        headers: Sequence[tuple[str, bytes]],
        table: MutableMapping[str, RunState],
    ) -> tuple[Event | None, Pipeline | None]:
        if (existing := table.get(event.run_id)) is not None:
            self._same_request(existing, event)
            return None, None  # a repeat of the request that started it: nothing to do
        try:
            pipeline, params = self._pinned(event)
        except Rejected as exc:
            parent = ParentStep.of(event.trigger.model_dump(mode="json"))
            if parent is None:
                raise
            raise self._refused_child(parent, event, headers, exc) from exc
        start = StartRun(
            run_id=event.run_id,
            pipeline=pipeline.name,
            version=pipeline.version,
            params=params,
            trigger=event.trigger.model_dump(mode="json"),
            requested_at_ms=to_millis(event.requested_at),
            trace=trace_context(headers),
            priority=event.priority,
            pipeline_paused=pipeline.name in self.paused,
        )
        return start, pipeline

    def _control(
        self, event: wire.RunControlRequested, table: MutableMapping[str, RunState]
    ) -> tuple[Event, Pipeline | None]:
        """A re-run, pause or resume; a re-run that names a version of a finished run's
        pipeline comes with that version (else the run's pinned one is looked up as for any
        event). Rejected (``validation``) for an unknown action or version."""
        try:
            control = control_input(event)
        except ValueError as exc:
            raise Rejected("validation", str(exc), "control-action") from exc
        state = table.get(event.run_id)
        if isinstance(control, RetryRun) and state is not None and state.pipeline in self.paused:
            control = dataclasses.replace(control, pipeline_paused=True)
        wanted = event.pipeline_version
        if wanted is None or state is None or not state.status.is_terminal:
            return control, None
        version = None if wanted == "latest" else _version(wanted)
        try:
            return control, self.pipelines(state.pipeline, version)
        except KeyError as exc:
            raise Rejected("unknown-pipeline", f"re-run of {event.run_id}: {exc}") from exc

    def _pinned(self, event: wire.RunRequested) -> tuple[Pipeline, dict[str, Any]]:
        """The pipeline version a start pins and its resolved params, or Rejected."""
        version = _version(event.pipeline_version)
        try:
            pipeline = self.pipelines(event.pipeline, version)
        except KeyError as exc:
            raise Rejected("unknown-pipeline", str(exc)) from exc
        return pipeline, self._params(pipeline, event.params_json)

    def _refused_child(
        self,
        parent: ParentStep,
        event: wire.RunRequested,
        headers: Sequence[tuple[str, bytes]],
        refused: Rejected,
    ) -> ChildRefused:
        """A child run that cannot start answers its parent's step with a non-retryable
        ``ChildRunRefused`` instead of a dead letter: the parent would wait in vain."""
        self.counters["refused:child"] += 1
        message = f"child run {event.run_id} of {event.pipeline} refused: {refused}"
        error = StepError(error_type=CHILD_REFUSED, error_message=message, retryable=False)
        answer = SendStepResult(parent.run_id, parent.step, parent.attempt, None, error)
        now_ms = int(self.clock() * 1000)
        topic, trace = self.topics.step_results, trace_context(headers)
        return ChildRefused(step_result_message(self.codec, answer, topic, now_ms, trace))

    def _same_request(self, existing: RunState, event: wire.RunRequested) -> None:
        """Rejected (``validation``, ``idempotency-conflict``) when a start for an existing
        run id asks for other params: the same idempotency key reused for another
        request, which the API and CLI refuse up front but may miss in a race (or a raw
        producer never asked). Only repeats pay for this check."""
        try:
            pipeline = self.pipelines(existing.pipeline, existing.version)
            given = resolve_params(pipeline, read_json(event.params_json))
        except (KeyError, ConfigError, ValueError):
            given = None
        if given is None or not same_params(existing.params, given):
            raise Rejected(
                "validation",
                f"run {event.run_id} exists with other params: its idempotency key was "
                "used for another request (use a new key)",
                "idempotency-conflict",
            )

    def _params(self, pipeline: Pipeline, params_json: str) -> dict[str, Any]:
        """The run's params, resolved; Rejected (``validation``) when they are not JSON, over
        ``max_params_bytes`` (measured as compact JSON, as the API and CLI measure them), or
        do not fit the pipeline's declarations."""
        try:
            given = read_json(params_json)
            check_params_size(given, self.limits)
            return resolve_params(pipeline, given)
        except LimitError as exc:
            raise Rejected.over_limit(exc) from exc
        except (ConfigError, ValueError) as exc:
            raise Rejected("validation", f"params_json: {exc}", _detail(exc)) from exc

    def _apply(
        self, decision: Decision, before: RunState | None, table: MutableMapping[str, RunState]
    ) -> None:
        """Store the decision's state and set its timers (its messages are built)."""
        if decision.ignored:
            self.counters[f"ignored:{decision.ignored}"] += 1
        state = decision.state
        if state is not None and state is not before:
            table[state.run_id] = state
        for command in decision.commands:
            if isinstance(command, WakeAt):
                self.timers.set(command.run_id, command.at_ms)
        self.counters["events"] += 1

    def _messages(self, decision: Decision, pipeline: Pipeline, now_ms: int) -> list[Outgoing]:
        """The messages the decision's commands ask for (nothing is changed yet)."""
        state = decision.state
        out: list[Outgoing] = []
        if state is None:
            return out
        for command in decision.commands:
            if not isinstance(command, WakeAt):
                out.extend(self._message(command, state, pipeline, now_ms))
        return out

    def _message(
        self, command: object, state: RunState, pipeline: Pipeline, now_ms: int
    ) -> list[Outgoing]:
        if isinstance(command, RequestStep):
            if self.tracing:
                trace = step_trace(command.run_id, command.step, command.attempt, command.trace)
                command = dataclasses.replace(command, trace=trace)
            return [request_message(self.codec, command, pipeline.name, pipeline.version, now_ms)]
        if isinstance(command, RequestAdmission | ReleaseAdmission):
            topic = self.topics.admissions
            limit, rate = pipeline.max_active_runs, pipeline.rate_limit
            return [admission_message(topic, command, limit, rate)]
        if isinstance(command, EmitRunEvent):
            topic = self.topics.run_events
            headers: Mapping[str, str] = state.trace
            if self.tracing:
                headers = event_trace(state.run_id, command.step, command.attempt, headers)
            name, version = pipeline.name, pipeline.version
            return [run_event_message(self.codec, command, topic, name, version, headers)]
        if isinstance(command, NotifyCancel):  # the service stops it; a late result is ignored
            if self.tracing:
                notice = step_trace(command.run_id, command.step, command.attempt, state.trace)
                return [cancel_message(self.codec, command, now_ms, notice, state.reason)]
            return [cancel_message(self.codec, command, now_ms, state.trace, state.reason)]
        if isinstance(command, StartChildRun | CancelChildRun | SendStepResult):
            return [self._child_message(command, state.trace, now_ms)]
        if isinstance(command, WriteMapPage):
            return [map_page_message(command, self.topics.map_pages)]
        log.error("run %s: no message for command %r", state.run_id, command)
        self.counters["unhandled-commands"] += 1
        return []

    def _child_message(
        self,
        command: StartChildRun | CancelChildRun | SendStepResult,
        trace: Mapping[str, str],
        now_ms: int,
    ) -> Outgoing:
        """A sub-pipeline's message (see ``core._children``): a child's start or cancel on
        the runs topic, a step result on the step results topic."""
        if isinstance(command, StartChildRun):
            return child_run_message(self.codec, command, self.topics.runs, now_ms, trace)
        if isinstance(command, CancelChildRun):
            return child_cancel_message(self.codec, command, self.topics.runs, now_ms, trace)
        return step_result_message(self.codec, command, self.topics.step_results, now_ms, trace)


_EXPECTED: dict[bool, tuple[type[wire.PodiumModel], ...]] = {
    True: (wire.RunRequested, wire.RunCancelRequested, wire.RunControlRequested),
    False: (wire.StepCompleted, wire.StepFailed, wire.StepHeartbeat),
}


def _checked(parse: Callable[[bytes | None], Event], value: bytes | None) -> Event:
    try:
        return parse(value)
    except ValueError as exc:
        raise Rejected("decode", str(exc), getattr(exc, "detail", None)) from exc


def _version(text: str | None) -> int | None:
    """A RunRequested's pinned version (None: the latest); Rejected unless it is a number."""
    if not text:
        return None
    try:
        return int(text)
    except ValueError:  # "latest", "1.2", or more digits than Python converts
        shown = text if len(text) <= 40 else f"{text[:40]}... ({len(text)} characters)"
        raise Rejected(
            "validation",
            f"pipeline_version {shown!r} is not a version number",
            "pipeline-version",
        ) from None


def _detail(error: Exception) -> str:
    """A JSON bound's code (``json-too-deep``), else the error's class name."""
    detail = getattr(error, "detail", None)
    return detail if isinstance(detail, str) else type(error).__name__


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _encoded_size(state: RunState) -> int:
    return len(encode_state(state))


def encode_state(state: RunState) -> bytes:
    """A run's state as its changelog value (JSON, readable with any Kafka tool)."""
    return state.to_json_bytes()


def decode_state(raw: bytes) -> RunState:
    return RunState.from_json_bytes(raw)


def run_is_finished(state: RunState) -> bool:
    """Settled in the table (kept encoded, see ``_store``): a finished run only counts
    the events it ignores from now on."""
    return state.status.is_terminal


def run_finished_at(state: RunState) -> int:
    """When a finished run finished (epoch ms), which its retention counts from."""
    return state.finished_at_ms if state.finished_at_ms is not None else state.updated_at_ms


def runs_partition_store() -> PartitionStore[RunState]:
    """One partition of the runs table as the coordinator keeps it (default retention),
    for driving a :class:`Handler` without Kafka (the benchmark's handler-alone figure)."""
    return PartitionStore(encode_state, decode_state, run_is_finished, run_finished_at)


def rebuild_timers(timers: TimerIndex, states: Iterable[RunState]) -> None:
    """Refill the timer index from the table (after recovery or a rebalance)."""
    from podium.coordinator.core._machine import next_wake_ms

    timers.clear()
    for state in states:
        timers.set(state.run_id, next_wake_ms(state))
