"""Where an event trigger starts taking events, and where the trigger group starts
reading a topic it has never read (pure).

A trigger's ``from`` (:attr:`EventTrigger.start`) is a lower bound on the event's record
timestamp:

- ``end`` (the default): since the trigger was first published, i.e. the publish time
  of the first version of its pipeline with a trigger on that topic and event type.
  A topic's history is never replayed by surprise, yet an event that lands between
  ``podium pipelines apply`` and the coordinator's start still runs, and publishing
  version 2 of a pipeline loses nothing that landed while the coordinator was down.
- ``beginning``: no bound, the topic's whole history.
- a timestamp: records stamped at or after it.

The trigger group keeps one committed position per partition, shared by every trigger
on the topic, so on a partition it has no position for it starts at the earliest bound
of the topic's triggers (:func:`topic_start`) and each trigger skips what is older
than its own bound (:func:`takes`). On a topic the group already reads, a new trigger
with ``from: beginning`` or an old timestamp does not rewind it (see the README).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from podium.pipelines import CronTrigger, EventFormat, EventTrigger, Pipeline
from podium.registry import RegisteredPipeline

Bound = datetime | None
"""Events stamped at or after this time count; None: every event."""


@dataclass(frozen=True)
class TriggerKey:
    """What makes "the same trigger" across a pipeline's versions."""

    pipeline: str
    topic: str
    event: str

    @classmethod
    def of(cls, pipeline: Pipeline, trigger: EventTrigger) -> TriggerKey:
        return cls(pipeline.name, trigger.topic, trigger.event_type or "")


def first_published(entries: Iterable[RegisteredPipeline]) -> dict[TriggerKey, datetime]:
    """When each (pipeline, topic, event) trigger first appeared in a published version."""
    first: dict[TriggerKey, datetime] = {}
    for entry in entries:
        for trigger in entry.pipeline.triggers:
            if isinstance(trigger, EventTrigger):
                key = TriggerKey.of(entry.pipeline, trigger)
                if key not in first or entry.published_at < first[key]:
                    first[key] = entry.published_at
    return first


def trigger_bound(
    pipeline: Pipeline, trigger: EventTrigger, published: Mapping[TriggerKey, datetime]
) -> Bound:
    """The trigger's lower bound, to the millisecond of Kafka's record timestamps (a
    publish at .123456 must take an event stamped .123); ``end`` without a known publish
    time takes every event (a pipeline handed over in code, not read from the registry)."""
    if trigger.start == "beginning":
        return None
    if trigger.start == "end":
        bound = published.get(TriggerKey.of(pipeline, trigger))
        if bound is None:
            return None
    else:
        bound = trigger.start
    return bound.replace(microsecond=bound.microsecond // 1000 * 1000)


def takes(bound: Bound, stamped_at: datetime | None) -> bool:
    """Whether an event stamped ``stamped_at`` (None: unknown) is inside the bound."""
    return bound is None or stamped_at is None or stamped_at >= bound


def topic_start(
    pipelines: Iterable[Pipeline], topic: str, published: Mapping[TriggerKey, datetime]
) -> Bound:
    """Where to start reading ``topic`` on a partition with no committed position: the
    earliest bound of its triggers (None: the beginning)."""
    bounds = [
        trigger_bound(pipeline, trigger, published)
        for pipeline in pipelines
        for trigger in pipeline.triggers
        if isinstance(trigger, EventTrigger) and trigger.topic == topic
    ]
    if not bounds or None in bounds:
        return None
    return min(bound for bound in bounds if bound is not None)


def describe_events(trigger: EventTrigger) -> str:
    """``FileLanded``, ``OrderPlaced (avro)``, ``JSON events``, ``any event (confluent)``."""
    if trigger.format is EventFormat.JSON:
        return "JSON events"
    name = trigger.event_type or "any event"
    return name if trigger.format is EventFormat.PODIUM else f"{name} ({trigger.format})"


def trigger_lines(pipeline: Pipeline) -> list[str]:
    """How ``podium pipelines validate`` shows a pipeline's triggers, one line each."""
    return [_trigger_line(trigger) for trigger in pipeline.triggers]


def _trigger_line(trigger: EventTrigger | CronTrigger) -> str:
    if isinstance(trigger, EventTrigger):
        line = f"trigger: {describe_events(trigger)} on {trigger.topic}, {describe_start(trigger)}"
        if trigger.priority_from is not None:
            return f"{line}; priority from {trigger.priority_from} (else {trigger.priority})"
    else:
        line = f"trigger: cron {trigger.schedule!r} (UTC)"
    return f"{line}; priority {trigger.priority}" if trigger.priority else line


def describe_start(trigger: EventTrigger) -> str:
    """A trigger's ``from``, said in words."""
    if trigger.start == "end":
        return "from end: events published after the trigger is first applied"
    if trigger.start == "beginning":
        return "from beginning: replays the topic's whole history"
    return f"from {trigger.start.isoformat()}: replays events stamped at or after it"
