"""From pipelines and an event or a window to RunRequested: the example pipeline's trigger."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from podium.contract import TriggerSource, header_value
from podium.pipelines import PRIORITY_RANGE, Pipeline, load_pipeline_file
from podium.registry import RegisteredPipeline
from podium.triggers import EventSource, TriggerRejectedError, latest_pipelines, plan_event_runs
from podium.triggers._headers import new_traceparent, run_headers
from podium.triggers._ids import cron_run_id, event_run_id
from podium.triggers._plan import event_topics, plan_cron_runs

EXAMPLE = Path(__file__).resolve().parents[2] / "services/examples/pipelines/file_ingest.yaml"
NOW = datetime(2025, 3, 1, 12, 0, 30, tzinfo=UTC)
FILE_INGEST = load_pipeline_file(EXAMPLE)


def landed(uri: str = "file:///data/in/sales.csv", **extra: Any) -> EventSource:
    fields = {"uri": uri, "size_bytes": 120, "checksum": "sha256:ab", **extra}
    return EventSource("podium.files.landed", 0, 7, "podium.v1.FileLanded", fields)


def pipeline(name: str, version: int = 1, **extra: Any) -> Pipeline:
    steps = [{"name": "a", "service": "work"}]
    return Pipeline.model_validate({"name": name, "version": version, "steps": steps, **extra})


def nightly(version: int = 1, schedule: str = "0 2 * * *") -> Pipeline:
    params = {"day": {"type": "string", "default": "today"}}
    triggers = [{"type": "cron", "schedule": schedule, "params": {"day": "yesterday"}}]
    return pipeline("nightly", version, params=params, triggers=triggers)


def test_a_landed_csv_starts_one_file_ingest_run_with_mapped_params() -> None:
    plan = plan_event_runs([FILE_INGEST, pipeline("other")], landed(), NOW)
    assert plan.rejected == []
    [run] = plan.runs
    assert (run.pipeline, run.pipeline_version) == ("file-ingest", "2")
    assert json.loads(run.params_json) == {
        "uri": "file:///data/in/sales.csv",
        "size_bytes": 120,
        "group_by": "region",
        "notify": True,
    }
    assert run.trigger.source is TriggerSource.EVENT
    assert run.trigger.name == "podium.files.landed"
    assert run.trigger.reference == "podium.files.landed/0/7"
    assert run.run_id == event_run_id("file-ingest", 2, "file:sha256:ab:file:///data/in/sales.csv")
    assert run.requested_at == NOW


def test_other_files_types_and_topics_start_nothing() -> None:
    assert plan_event_runs([FILE_INGEST], landed("file:///data/in/notes.txt"), NOW).runs == []
    other_type = EventSource("podium.files.landed", 0, 1, "podium.v1.RunRequested", {})
    assert plan_event_runs([FILE_INGEST], other_type, NOW).runs == []
    source = landed()
    elsewhere = EventSource("elsewhere", 0, 7, source.type_name, source.fields)
    assert plan_event_runs([FILE_INGEST], elsewhere, NOW).runs == []


def test_mapped_params_that_do_not_fit_are_rejected_naming_pipeline_and_param() -> None:
    plan = plan_event_runs([FILE_INGEST], landed(size_bytes="big"), NOW)
    assert plan.runs == []
    [error] = plan.rejected
    assert isinstance(error, TriggerRejectedError)
    assert error.reason == "validation"
    assert error.field == "params.size_bytes"
    assert "file-ingest@2" in str(error)
    assert "params.size_bytes" in str(error)


def test_only_the_latest_version_listens() -> None:
    def entry(p: Pipeline) -> RegisteredPipeline:
        return RegisteredPipeline(p, "sha256:x", NOW)

    v2 = FILE_INGEST.model_copy(update={"version": 2})
    latest = latest_pipelines([entry(v2), entry(FILE_INGEST), entry(pipeline("b"))])
    assert [p.key for p in latest] == ["b@1", "file-ingest@2"]
    [run] = plan_event_runs(latest, landed(), NOW).runs
    assert run.pipeline_version == "2"
    assert event_topics(latest) == {"podium.files.landed"}


def test_a_cron_tick_becomes_one_run_with_the_triggers_params() -> None:
    plan = plan_cron_runs([nightly(), FILE_INGEST], NOW, NOW + timedelta(days=1), NOW)
    [run] = plan.runs
    tick = datetime(2025, 3, 2, 2, 0, tzinfo=UTC)
    assert run.run_id == cron_run_id("nightly", 1, tick, schedule="0 2 * * *")
    assert run.trigger.source is TriggerSource.CRON
    assert run.trigger.reference == "2025-03-02T02:00:00+00:00"
    assert json.loads(run.params_json) == {"day": "yesterday"}


def test_a_triggers_priority_is_its_runs_priority_and_is_checked_in_range() -> None:
    triggers = [{"type": "cron", "schedule": "0 2 * * *", "priority": 5}]
    [run] = plan_cron_runs(
        [pipeline("urgent", triggers=triggers)], NOW, NOW + timedelta(days=1), NOW
    ).runs
    assert run.priority == 5
    event = {"type": "event", "topic": "podium.files.landed", "priority": -2}
    [run] = plan_event_runs([pipeline("later", triggers=[event])], landed(), NOW).runs
    assert run.priority == -2
    [default] = plan_cron_runs([nightly()], NOW, NOW + timedelta(days=1), NOW).runs
    assert default.priority == 0
    with pytest.raises(ValidationError, match="less than or equal to 1000"):
        pipeline("bad", triggers=[{**event, "priority": 1001}])


def test_priority_from_reads_each_events_priority_from_a_field_or_a_header() -> None:
    trigger = {"type": "event", "topic": "podium.files.landed", "priority": 3}
    by_field = pipeline("urgent", triggers=[{**trigger, "priority_from": "meta.urgency"}])
    [run] = plan_event_runs([by_field], landed(meta={"urgency": 40}), NOW).runs
    assert run.priority == 40
    [run] = plan_event_runs([by_field], landed(), NOW).runs  # no such field: the default
    assert run.priority == 3
    by_header = pipeline("urgent", triggers=[{**trigger, "priority_from": "header:x-priority"}])
    source = replace(landed(), headers={"x-priority": " -7 "})
    [run] = plan_event_runs([by_header], source, NOW).runs
    assert run.priority == -7


@given(
    st.one_of(
        st.integers().filter(lambda n: n not in PRIORITY_RANGE),
        st.text(max_size=8).filter(lambda t: not t.strip().lstrip("+-").isdigit()),
        st.booleans(),
        st.floats(allow_nan=False),
        st.lists(st.integers(), max_size=2),
    )
)
def test_an_events_priority_that_is_no_integer_in_range_refuses_the_run(bad: Any) -> None:
    """Refused as params that do not fit are (dead-lettered where dlq is on), naming the
    field: never a run at a priority nobody asked for."""
    trigger = {"type": "event", "topic": "podium.files.landed", "priority_from": "urgency"}
    plan = plan_event_runs([pipeline("urgent", triggers=[trigger])], landed(urgency=bad), NOW)
    assert plan.runs == []
    [refused] = plan.rejected
    assert refused.field == "priority_from" and "expected an integer in -1000..1000" in str(refused)


def test_two_instances_planning_the_same_tick_produce_the_same_run_id() -> None:
    first = plan_cron_runs([nightly()], NOW, NOW + timedelta(days=1), NOW).runs
    later = NOW + timedelta(seconds=3)
    second = plan_cron_runs([nightly()], later, later + timedelta(days=1), later).runs
    assert [r.run_id for r in first] == [r.run_id for r in second]


def test_a_bad_schedule_is_rejected_without_stopping_the_other_pipelines() -> None:
    broken = nightly(schedule="every night").model_copy(update={"name": "broken"})
    plan = plan_cron_runs([broken, nightly()], NOW, NOW + timedelta(days=1), NOW)
    assert [r.pipeline for r in plan.runs] == ["nightly"]
    assert [e.field for e in plan.rejected] == ["schedule"]


def test_run_headers_carry_the_trigger_trace_and_the_run_id() -> None:
    trace = {"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "baggage": "k=v"}
    headers = run_headers("run-1", trace)
    assert header_value(headers, "traceparent") == trace["traceparent"]
    assert header_value(headers, "baggage") == "k=v"
    assert header_value(headers, "podium-run-id") == "run-1"


def test_without_a_traceparent_a_new_trace_starts() -> None:
    headers = run_headers("run-1", {"tracestate": "orphan=1"})
    parent = header_value(headers, "traceparent") or ""
    version, trace_id, span_id, flags = parent.split("-")
    assert (version, flags, len(trace_id), len(span_id)) == ("00", "01", 32, 16)
    assert int(trace_id, 16) and int(span_id, 16)
    assert header_value(headers, "tracestate") is None
    assert new_traceparent() != new_traceparent()
