"""Triggers: runs started by events on topics and by cron schedules.

Pure core (no I/O, unit- and property-tested)::

    match_event(trigger, fields)              # does an EventTrigger take this event?
    event_params(trigger, fields)             # {param: fields[field]}
    event_run_id(name, version, identity)     # deterministic: one run per event
    cron_ticks(schedule, after, until)        # ticks in (after, until], UTC
    trigger_bound(pipeline, trigger, published)  # from: events stamped at or after
    topic_start(pipelines, topic, published)  # where a partition new to the group starts
    cron_run_id(name, version, tick)          # deterministic: one run per tick

The I/O shell, started by the coordinator beside its engine::

    runner = TriggerRunner(settings, registry, codec)
    await runner.start()          # consumer group "podium-triggers" + cron loop
    await runner.stop()

"One run per event" and "one run per tick with several coordinators" need no
coordination: triggers produce RunRequested under deterministic run ids and
the coordinator's idempotent start ignores a run id it already has.
"""

from podium.triggers._ids import value_text
from podium.triggers._match import (
    event_type_matches,
    event_value,
    field_matches,
    match_event,
)
from podium.triggers._metrics import TriggerMetrics
from podium.triggers._plan import (
    EventSource,
    TriggerRejectedError,
    latest_pipelines,
    plan_event_runs,
)
from podium.triggers._read import RecordReader, header_texts
from podium.triggers._runner import TriggerRunner
from podium.triggers._start import trigger_lines

__all__ = [
    "EventSource",
    "RecordReader",
    "TriggerMetrics",
    "TriggerRejectedError",
    "TriggerRunner",
    "event_type_matches",
    "event_value",
    "field_matches",
    "header_texts",
    "latest_pipelines",
    "match_event",
    "plan_event_runs",
    "trigger_lines",
    "value_text",
]
