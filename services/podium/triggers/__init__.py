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

from podium.triggers._cron import MAX_TICKS, cron_ticks, cron_window, utc
from podium.triggers._cron_loop import CronTriggers
from podium.triggers._events import EventTriggers
from podium.triggers._headers import new_traceparent, run_headers
from podium.triggers._ids import (
    RUN_ID_NAMESPACE,
    cron_run_id,
    event_identity,
    event_run_id,
    tick_text,
)
from podium.triggers._match import (
    as_text,
    event_params,
    event_type_matches,
    field_matches,
    is_glob,
    match_event,
)
from podium.triggers._plan import (
    EventSource,
    Plan,
    TriggerRejectedError,
    cron_run_request,
    cron_triggers,
    event_run_request,
    event_topics,
    latest_pipelines,
    matching_trigger,
    plan_cron_runs,
    plan_event_runs,
)
from podium.triggers._runner import (
    DEFAULT_CATCH_UP_S,
    DEFAULT_GROUP_ID,
    PipelineSource,
    TriggerRunner,
)
from podium.triggers._send import RunSender, TriggerStats
from podium.triggers._start import (
    TriggerKey,
    first_published,
    topic_start,
    trigger_bound,
    trigger_lines,
)

__all__ = [
    "DEFAULT_CATCH_UP_S",
    "DEFAULT_GROUP_ID",
    "MAX_TICKS",
    "RUN_ID_NAMESPACE",
    "CronTriggers",
    "EventSource",
    "EventTriggers",
    "PipelineSource",
    "Plan",
    "RunSender",
    "TriggerKey",
    "TriggerRejectedError",
    "TriggerRunner",
    "TriggerStats",
    "as_text",
    "cron_run_id",
    "cron_run_request",
    "cron_ticks",
    "cron_triggers",
    "cron_window",
    "event_identity",
    "event_params",
    "event_run_id",
    "event_run_request",
    "event_topics",
    "event_type_matches",
    "field_matches",
    "first_published",
    "is_glob",
    "latest_pipelines",
    "match_event",
    "matching_trigger",
    "new_traceparent",
    "plan_cron_runs",
    "plan_event_runs",
    "run_headers",
    "tick_text",
    "topic_start",
    "trigger_bound",
    "trigger_lines",
    "utc",
]
