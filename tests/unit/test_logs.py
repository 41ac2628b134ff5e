"""``podium.logs``: JSON lines with the run's fields, text with them in brackets, the
trace ids from the traceparent, and the coordinator's one line per run start and end."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._observe import RunNote
from podium.coordinator._runlog import log_runs
from podium.logs import configure_logging, trace_fields
from podium.service._context import StepLogger

TRACE = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
HEX = "0123456789abcdef"


@given(st.text(HEX, min_size=32, max_size=32), st.text(HEX, min_size=16, max_size=16))
def test_trace_and_span_ids_come_from_a_valid_traceparent(trace_id: str, span_id: str) -> None:
    found = trace_fields({"traceparent": f"00-{trace_id}-{span_id}-01"})
    valid = int(trace_id, 16) != 0 and int(span_id, 16) != 0
    assert found == ({"trace_id": trace_id, "span_id": span_id} if valid else {})


@pytest.mark.parametrize(
    "trace", [None, {}, {"traceparent": "garbage"}, {"traceparent": "00-x-y-01"}]
)
def test_no_ids_without_a_valid_traceparent(trace: dict[str, str] | None) -> None:
    assert trace_fields(trace) == {}


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The root handler ``configure_logging`` installs, writing to a buffer."""
    root = logging.getLogger()
    saved, level = list(root.handlers), root.level
    buffer = io.StringIO()
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved:
        root.addHandler(handler)
    root.setLevel(level)


def _configure(fmt: str, buffer: io.StringIO) -> None:
    configure_logging("INFO", fmt)  # type: ignore[arg-type]
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)


def step_logger() -> StepLogger:
    base = {"run_id": "r1", "pipeline": "etl", "step": "load", "attempt": 2, **trace_fields(TRACE)}
    return StepLogger(logging.getLogger("tests.step"), base)


def test_a_json_line_carries_the_run_fields_and_no_secret(output: io.StringIO) -> None:
    _configure("json", output)
    logger = step_logger()
    logger.secrets.append("hunter2")
    logger.info("connecting with %s", "hunter2")
    line = json.loads(output.getvalue().strip())
    assert line["message"] == "connecting with ***"
    assert {k: line[k] for k in ("run_id", "pipeline", "step", "attempt")} == {
        "run_id": "r1", "pipeline": "etl", "step": "load", "attempt": 2,
    }  # fmt: skip
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["span_id"] == "00f067aa0ba902b7"
    assert line["level"] == "INFO" and line["logger"] == "tests.step" and line["time"]
    assert "hunter2" not in output.getvalue()


def test_a_text_line_shows_the_run_in_brackets_and_a_plain_line_none(
    output: io.StringIO,
) -> None:
    _configure("text", output)
    step_logger().warning("slow")
    logging.getLogger("podium.x").info("plain")
    first, second = output.getvalue().splitlines()
    assert first.endswith("WARNING tests.step [run=r1 step=load attempt=2] slow")
    assert second.endswith("INFO podium.x plain")


def test_the_coordinator_logs_one_line_per_run_start_and_end(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "podium.coordinator.runs")
    log_runs([
        RunNote("r1", "etl", 3, "running", TRACE),
        RunNote("r1", "etl", 3, "failed", TRACE, 1.5, "step load failed: IOError: disk full"),
        RunNote("r2", "etl", 3, "succeeded", {}, 0.25),
    ])  # fmt: skip
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "run r1 of etl v3 started"),
        ("WARNING", "run r1 of etl v3 failed after 1.500s: step load failed: IOError: disk full"),
        ("INFO", "run r2 of etl v3 succeeded after 0.250s"),
    ]
    first = caplog.records[0]
    assert (first.run_id, first.pipeline, first.trace_id) == (  # type: ignore[attr-defined]
        "r1", "etl", "4bf92f3577b34da6a3ce929d0e0e4736",
    )  # fmt: skip
