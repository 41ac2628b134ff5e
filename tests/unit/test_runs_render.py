"""Run views as the API's JSON and the CLI's text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from podium.cli._runs import exit_status
from podium.contract import RunStatus, RunStatusChanged, StepError, StepStatus
from podium.runs import RunView, run_details, run_table, summary_json, transition_line, view_json
from podium.runs._index import RunTable
from podium.runs._page import RunFilter, page_runs
from podium.runs._view import AttemptView, StepView

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BOOM = StepError(error_type="ValueError", error_message="bad row 3", retryable=False)


def view(run_id: str, minutes: int, status: RunStatus, pipeline: str = "ingest") -> RunView:
    created = T0 + timedelta(minutes=minutes)
    return RunView(run_id, pipeline, 1, status, created_at=created, updated_at=created)


def test_listing_is_newest_first_filtered_and_limited() -> None:
    views = [view("a", 1, RunStatus.SUCCEEDED), view("b", 3, RunStatus.FAILED)]
    views += [view("c", 2, RunStatus.SUCCEEDED, "other")]
    table = RunTable()
    for v in views:
        table.put(v)

    def ids(wanted: RunFilter, limit: int = 50) -> list[str]:
        return [v.run_id for v in page_runs(table, wanted, limit).runs]

    assert ids(RunFilter()) == ["b", "c", "a"]
    assert ids(RunFilter(status=RunStatus.SUCCEEDED)) == ["c", "a"]
    assert ids(RunFilter(pipeline="ingest"), limit=1) == ["b"]


def failed_run() -> RunView:
    started, ended = T0, T0 + timedelta(seconds=2)
    attempt = AttemptView(1, StepStatus.FAILED, started, ended, BOOM)
    step = StepView(StepStatus.FAILED, 1, (attempt,), started, ended, None, BOOM)
    return replace(
        view("r1", 0, RunStatus.FAILED),
        finished_at=ended,
        reason="step validate failed",
        error=BOOM,
        steps={"validate": step},
    )


def test_json_carries_steps_attempts_durations_and_errors() -> None:
    body = view_json(failed_run())
    assert body["status"] == "FAILED" and body["duration_s"] == 2.0
    step = body["steps"]["validate"]
    assert step["error"] == {"type": "ValueError", "message": "bad row 3", "retryable": False}
    assert step["attempts"][0]["attempt"] == 1 and step["duration_s"] == 2.0
    summary = summary_json(replace(failed_run(), trigger={"source": "api"}))
    assert summary["duration_s"] == 2.0 and summary["trigger"] == {"source": "api"}
    assert "steps" not in summary and "params" not in summary


def test_show_prints_a_steps_table_with_attempts_duration_and_error() -> None:
    text = "\n".join(run_details(failed_run()))
    assert "STEP" in text and "ATTEMPTS" in text
    assert "validate  FAILED  1         2.0s      ValueError: bad row 3" in text


def test_list_prints_one_line_per_run() -> None:
    lines = run_table([view("r1", 0, RunStatus.RUNNING)])
    assert lines[0].startswith("RUN ID") and "ingest@1" in lines[1] and "RUNNING" in lines[1]


def test_transitions_read_as_lines() -> None:
    base: dict[str, Any] = {"run_id": "r", "pipeline": "p", "pipeline_version": "1"}
    base["changed_at"] = T0
    step = RunStatusChanged(
        **base,
        status=RunStatus.RUNNING,
        step="load",
        step_status=StepStatus.RETRY_WAIT,
        attempt=2,
        error=BOOM,
    )
    assert transition_line(step) == "  load RETRY_WAIT (attempt 2): ValueError: bad row 3"
    end = RunStatusChanged(**base, status=RunStatus.FAILED, reason="step load failed")
    assert transition_line(end) == "run FAILED: step load failed"


def test_only_a_succeeded_run_exits_zero() -> None:
    assert exit_status(view("r", 0, RunStatus.SUCCEEDED)) == 0
    for status in (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPENSATED):
        assert exit_status(view("r", 0, status)) == 1
