"""From published pipelines and an event or a time window to RunRequested records (pure).

Only the latest published version of each pipeline listens: publishing
version 2 moves its triggers to version 2 (runs already started keep their
pinned version). Each pipeline starts at most one run per event: the first of
its event triggers that matches wins.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from podium.contract import RunRequested, Trigger, TriggerSource
from podium.errors import PodiumError
from podium.pipelines import (
    PRIORITY_RANGE,
    CronTrigger,
    EventFormat,
    EventTrigger,
    ParamError,
    Pipeline,
    resolve_params,
)
from podium.registry import RegisteredPipeline
from podium.triggers._cron import cron_ticks
from podium.triggers._ids import (
    cron_run_id,
    event_identity,
    event_run_id,
    keyed_identity,
    record_identity,
    tick_text,
)
from podium.triggers._match import event_params, event_type_matches, event_value, match_event
from podium.triggers._start import TriggerKey, takes, trigger_bound

T = TypeVar("T", EventTrigger, CronTrigger)


class TriggerRejectedError(PodiumError):
    """A trigger fired but its params do not fit the pipeline; ``reason`` is "validation"."""

    reason = "validation"

    def __init__(self, pipeline: str, problem: str, *, field: str | None = None) -> None:
        self.pipeline = pipeline
        self.field = field
        super().__init__(f"trigger of pipeline {pipeline}: {problem}")

    @classmethod
    def from_params(cls, pipeline: str, error: ParamError) -> TriggerRejectedError:
        hint = "fix the trigger's params mapping or the pipeline's params"
        return cls(pipeline, f"{error}; {hint}", field=error.field)


@dataclass(frozen=True)
class EventSource:
    """A decoded trigger event and where it was read."""

    topic: str
    partition: int
    offset: int
    type_name: str | None
    """The event's full Avro name, e.g. ``podium.v1.FileLanded`` (None: JSON has none)."""
    fields: Mapping[str, Any]
    """The event as JSON-compatible values (``model_dump(mode="json")``)."""
    stamped_at: datetime | None = None
    """The record's timestamp, compared with each trigger's ``from`` (None: unknown)."""
    format: EventFormat = EventFormat.PODIUM
    """How the value was read: only triggers of this format look at it."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The record's headers as text (the last of a repeated name)."""

    @property
    def reference(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


@dataclass
class Plan:
    """What a trigger should produce: run requests, and firings refused for bad params."""

    runs: list[RunRequested] = field(default_factory=list)
    rejected: list[TriggerRejectedError] = field(default_factory=list)
    too_old: int = 0
    """Triggers that would have taken the event but it is older than their ``from``."""
    taken: bool = False
    """Whether any trigger took the event (else it is counted as not matching)."""


def latest_pipelines(entries: Iterable[RegisteredPipeline]) -> list[Pipeline]:
    """The highest published version of each pipeline, by name."""
    latest: dict[str, Pipeline] = {}
    for entry in entries:
        known = latest.get(entry.name)
        if known is None or entry.version > known.version:
            latest[entry.name] = entry.pipeline
    return [latest[name] for name in sorted(latest)]


def event_topics(pipelines: Iterable[Pipeline]) -> frozenset[str]:
    """Every topic an event trigger of ``pipelines`` listens to."""
    return frozenset(trigger.topic for _, trigger in _triggers(pipelines, EventTrigger))


def topic_triggers(pipelines: Iterable[Pipeline], topic: str) -> list[EventTrigger]:
    """The event triggers of ``pipelines`` on ``topic`` (they say how to read it)."""
    return [trigger for _, trigger in _triggers(pipelines, EventTrigger) if trigger.topic == topic]


def cron_triggers(pipelines: Iterable[Pipeline]) -> list[tuple[Pipeline, CronTrigger]]:
    """Every cron trigger of ``pipelines`` with its pipeline."""
    return list(_triggers(pipelines, CronTrigger))


def _triggers(pipelines: Iterable[Pipeline], kind: type[T]) -> Iterator[tuple[Pipeline, T]]:
    for pipeline in pipelines:
        for trigger in pipeline.triggers:
            if isinstance(trigger, kind):
                yield pipeline, trigger


def matching_trigger(pipeline: Pipeline, source: EventSource) -> EventTrigger | None:
    """The first event trigger of ``pipeline`` taking this event (topic, type, match),
    whatever its ``from``."""
    for trigger in pipeline.triggers:
        if (
            isinstance(trigger, EventTrigger)
            and trigger.topic == source.topic
            and trigger.format is source.format
            and event_type_matches(trigger, source.type_name)
            and match_event(trigger, source.fields, source.headers)
        ):
            return trigger
    return None


def plan_event_runs(
    pipelines: Iterable[Pipeline],
    source: EventSource,
    now: datetime,
    published: Mapping[TriggerKey, datetime] | None = None,
) -> Plan:
    """One RunRequested per pipeline whose trigger takes the event, unless the event is
    older than that trigger's ``from`` (``published``: see ``_start.first_published``)."""
    plan = Plan()
    for pipeline in pipelines:
        trigger = matching_trigger(pipeline, source)
        if trigger is None:
            continue
        plan.taken = True
        if not takes(trigger_bound(pipeline, trigger, published or {}), source.stamped_at):
            plan.too_old += 1
            continue
        try:
            plan.runs.append(event_run_request(pipeline, trigger, source, now))
        except TriggerRejectedError as exc:
            plan.rejected.append(exc)
    return plan


def event_run_request(
    pipeline: Pipeline, trigger: EventTrigger, source: EventSource, now: datetime
) -> RunRequested:
    """The run the event starts; TriggerRejectedError when the mapped params do not fit."""
    params = _resolved(pipeline, event_params(trigger, source.fields, source.headers))
    identity = _identity(pipeline, trigger, source)
    return RunRequested(
        run_id=event_run_id(pipeline.name, pipeline.version, identity),
        pipeline=pipeline.name,
        pipeline_version=str(pipeline.version),
        params_json=_json(params),
        trigger=Trigger(source=TriggerSource.EVENT, name=trigger.topic, reference=source.reference),
        idempotency_key=f"event:{identity}",
        requested_at=now,
        priority=event_priority(pipeline, trigger, source),
    )


def event_priority(pipeline: Pipeline, trigger: EventTrigger, source: EventSource) -> int:
    """The run's priority: the event's ``priority_from`` value if it has one, else the
    trigger's ``priority``; TriggerRejectedError for a value that is no integer in range
    (a header's text is read as a decimal integer)."""
    if trigger.priority_from is None:
        return trigger.priority
    value = event_value(source.fields, source.headers, trigger.priority_from)
    if value is None:
        return trigger.priority
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,5}", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in PRIORITY_RANGE:
        bounds = f"{PRIORITY_RANGE.start}..{PRIORITY_RANGE.stop - 1}"
        problem = (
            f"priority_from {trigger.priority_from}: expected an integer in {bounds}, "
            f"got {json.dumps(value, default=str)[:80]}"
        )
        raise TriggerRejectedError(pipeline.key, problem, field="priority_from")
    return value


def _identity(pipeline: Pipeline, trigger: EventTrigger, source: EventSource) -> str:
    """What makes this event the same event again (see ``EventTrigger.key``)."""
    where = (source.topic, source.partition, source.offset)
    if trigger.key is None:
        return event_identity(source.fields, *where)
    if trigger.keyed_by_record:
        return record_identity(*where)
    value = event_value(source.fields, source.headers, trigger.key.removeprefix("field:"))
    if value is None:
        problem = f"the event has no {trigger.key} (its key): it cannot be told from a redelivery"
        raise TriggerRejectedError(pipeline.key, problem, field="key")
    return keyed_identity(trigger.key, value)


def plan_cron_runs(
    pipelines: Iterable[Pipeline], after: datetime, until: datetime, now: datetime
) -> Plan:
    """One RunRequested per cron tick in ``(after, until]`` of each pipeline's schedules."""
    plan = Plan()
    for pipeline, trigger in cron_triggers(pipelines):
        try:
            ticks = cron_ticks(trigger.schedule, after, until)
            plan.runs.extend(cron_run_request(pipeline, trigger, tick, now) for tick in ticks)
        except ValueError as exc:  # validation rejects bad schedules; never stop the others
            message = f"bad cron schedule {trigger.schedule!r}: {exc}"
            plan.rejected.append(TriggerRejectedError(pipeline.key, message, field="schedule"))
        except TriggerRejectedError as exc:
            plan.rejected.append(exc)
    return plan


def cron_run_request(
    pipeline: Pipeline, trigger: CronTrigger, tick: datetime, now: datetime
) -> RunRequested:
    """The run of one cron tick; TriggerRejectedError when the trigger's params do not fit."""
    params = _resolved(pipeline, trigger.params)
    run_id = cron_run_id(pipeline.name, pipeline.version, tick, schedule=trigger.schedule)
    when = tick_text(tick)
    return RunRequested(
        run_id=run_id,
        pipeline=pipeline.name,
        pipeline_version=str(pipeline.version),
        params_json=_json(params),
        trigger=Trigger(source=TriggerSource.CRON, name=trigger.schedule, reference=when),
        idempotency_key=f"cron:{trigger.schedule}:{when}",
        requested_at=now,
        priority=trigger.priority,
    )


def _resolved(pipeline: Pipeline, given: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return resolve_params(pipeline, given)
    except ParamError as exc:
        raise TriggerRejectedError.from_params(pipeline.key, exc) from exc


def _json(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
