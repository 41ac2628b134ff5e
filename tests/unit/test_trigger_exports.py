"""Pins podium.triggers' public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium.triggers


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium.triggers.__all__) == sorted(
        [
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
            "TriggerRejectedError",
            "TriggerRunner",
            "TriggerKey",
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
    )
    for name in podium.triggers.__all__:
        assert getattr(podium.triggers, name) is not None
    assert podium.triggers.DEFAULT_GROUP_ID == "podium-triggers"
