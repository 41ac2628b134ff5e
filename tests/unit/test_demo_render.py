"""What the demo prints: transition rows, phase lines, the summary, failures."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.broker import BrokerStatus
from podium.contract import RunStatus, RunStatusChanged, StepError, StepStatus
from podium.demo._outputs import read_produced
from podium.demo._render import (
    Produced,
    broker_line,
    failure_lines,
    finished_line,
    pipeline_lines,
    produced_lines,
    short_value,
    stop_lines,
    topics_lines,
    transition_row,
)
from podium.registry import ApplyResult, ApplyStatus
from podium.runs import RunView
from podium.runs._view import StepView
from podium.topics import CreateTopic, Plan
from podium.topics._plan import AlterConfigs, ConfigChange, Refusal

T0 = datetime(2025, 3, 1, 12, 30, 5, 123000, tzinfo=UTC)
BOOM = StepError(error_type="NonRetryableError", error_message="bad row 3", retryable=False)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def event(step: str | None = None, **fields: Any) -> RunStatusChanged:
    values: dict[str, Any] = {
        "run_id": "r1",
        "pipeline": "file-ingest",
        "pipeline_version": "1",
        "status": RunStatus.RUNNING,
        "step": step,
        "changed_at": T0,
    }
    return RunStatusChanged(**(values | fields))


def test_a_step_row_shows_time_step_status_attempt_and_its_output() -> None:
    output = {"kind": "aggregate", "path": "/data/out/r1/aggregate.json", "groups": 4}
    row = transition_row(
        event(
            "aggregate", step_status=StepStatus.SUCCEEDED, attempt=1, output_json=json.dumps(output)
        ),
        UTC,
    )
    assert row.split() == [
        "12:30:05.123", "aggregate", "SUCCEEDED", "#1",
        "kind=aggregate", "path=aggregate.json", "groups=4",
    ]  # fmt: skip


def test_failed_and_skipped_steps_say_why() -> None:
    failed = transition_row(
        event("validate", step_status=StepStatus.FAILED, attempt=3, error=BOOM), UTC
    )
    assert failed.endswith("validate     FAILED      #3  NonRetryableError: bad row 3")
    skipped = event(
        "notify", step_status=StepStatus.SKIPPED, detail_json='{"condition": "params.notify"}'
    )
    assert transition_row(skipped, UTC).endswith("condition not met: params.notify")


def test_run_rows_line_up_with_step_rows() -> None:
    run = transition_row(event(status=RunStatus.FAILED, reason="step validate failed"), UTC)
    step = transition_row(event("load", step_status=StepStatus.FAILED, attempt=1, error=BOOM), UTC)
    assert run.index("step validate") == step.index("NonRetryableError")
    assert transition_row(event(status=RunStatus.SUCCEEDED), UTC).endswith("run          SUCCEEDED")


@given(JSON, st.integers(min_value=3, max_value=100))
def test_a_short_value_fits_its_width_on_one_line(value: Any, width: int) -> None:
    text = short_value(value, width)
    assert len(text) <= width
    assert "\n" not in text and "\r" not in text


def test_phase_lines_name_what_was_done() -> None:
    started = BrokerStatus(True, "127.0.0.1:9092", 42, "4.4.0", Path("/h/broker"))
    assert broker_line(started, "x").startswith("broker: started at 127.0.0.1:9092 (pid 42")
    running = replace(started, already_running=True)
    assert broker_line(running, "x") == "broker: already running at 127.0.0.1:9092 (pid 42)"
    assert "using the cluster at k:9092" in broker_line(None, "k:9092")
    change = ConfigChange(key="retention.ms", current="1", desired="2")
    plan = Plan(
        actions=(
            CreateTopic(topic="a", partitions=1, replication_factor=1, configs={}),
            AlterConfigs(topic="b", changes=(change,)),
        ),
        refusals=(Refusal(topic="c", reason="cannot shrink 6 -> 3 partitions"),),
    )
    lines = topics_lines(plan, 10)
    assert lines[0] == "topics: 1 created, 1 changed, 7 unchanged, 1 refused"
    assert lines[1] == "  ! c: refused: cannot shrink 6 -> 3 partitions"
    results = [
        ApplyResult("file-ingest@1", ApplyStatus.UNCHANGED, "sha256:0"),
        ApplyResult("x@2", ApplyStatus.REFUSED, "sha256:1", reason="x@2 differs"),
    ]
    assert pipeline_lines(results) == [
        "pipeline: file-ingest@1 unchanged",
        "pipeline: x@2 refused: x@2 differs",
    ]


def test_only_a_local_broker_is_said_to_keep_running() -> None:
    assert "podium broker stop" in stop_lines(local_broker=True)[0]
    assert "podium broker stop" not in stop_lines(local_broker=False)[0]


def finished(status: RunStatus, steps: dict[str, StepView]) -> RunView:
    return RunView(
        "r1", "file-ingest", 1, status, created_at=T0, updated_at=T0,
        finished_at=T0 + timedelta(seconds=4.25), steps=steps,
    )  # fmt: skip


def test_a_failed_run_names_the_failed_step_and_its_error() -> None:
    steps = {
        "validate": StepView(StepStatus.FAILED, 3, error=BOOM, changed_at=T0),
        "aggregate": StepView(StepStatus.CANCELLED, changed_at=T0),
    }
    view = replace(finished(RunStatus.FAILED, steps), reason="step validate failed")
    assert finished_line(view) == "run r1 FAILED in 4.2s: step validate failed"
    assert failure_lines(view) == ["failed step: validate: NonRetryableError: bad row 3"]
    assert failure_lines(replace(view, steps={}, error=BOOM)) == [
        "error: NonRetryableError: bad row 3"
    ]


def test_the_summary_reads_back_files_rows_and_the_notice(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.sqlite"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE sales_totals (run_id, group_by, grp, measure, total)")
        db.executemany(
            "INSERT INTO sales_totals VALUES (?, 'region', ?, 'amount', ?)",
            [("r1", "west", 2.5), ("r1", "east", 1.0), ("other", "east", 9.0)],
        )
    db.close()
    notices = tmp_path / "notifications.log"
    notices.write_text("t run=other x\nt run=r1 pipeline=file-ingest rows_loaded=2 done\n")
    steps = {
        "aggregate": StepView(StepStatus.SUCCEEDED, output={"path": "/o/r1/aggregate.json"}),
        "load": StepView(
            StepStatus.SUCCEEDED, output={"target": str(database), "table": "sales_totals"}
        ),
        "notify": StepView(StepStatus.SUCCEEDED, output={"file": str(notices)}),
    }
    produced = read_produced(finished(RunStatus.SUCCEEDED, steps))
    assert produced.rows == (("east", "amount", 1.0), ("west", "amount", 2.5))
    assert produced.notice == "t run=r1 pipeline=file-ingest rows_loaded=2 done"
    text = "\n".join(produced_lines(produced))
    assert "aggregate     /o/r1/aggregate.json" in text
    assert "table sales_totals: 2 rows for this run" in text
    assert "rows_loaded=2 done" in text and "profile" not in text


def test_an_empty_summary_still_has_its_heading() -> None:
    assert produced_lines(Produced()) == ["what the services produced:"]
