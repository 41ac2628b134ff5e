"""Input limits (``LimitsSettings``) as pure checks, and where they are enforced without
Kafka: pipeline validation, the API's handlers (over fakes), the coordinator's Handler and
`podium pipelines validate`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from podium import contract as wire
from podium.api import ApiServices, create_app
from podium.cli import podium
from podium.codec import Codec
from podium.contract import header_value
from podium.coordinator import RunState
from podium.coordinator._handle import Handler, Rejected
from podium.coordinator._timers import TimerIndex
from podium.dlq import dead_letter, reason_of
from podium.pipelines import (
    UNLIMITED,
    LimitError,
    Pipeline,
    check_params_size,
    evaluate_condition,
    validate_pipeline,
)
from podium.pipelines._expr import MAX_CONDITION_LENGTH
from podium.pipelines._limits import json_size
from podium.settings import LimitsSettings, PodiumSettings, TopicNames
from tests.unit.test_api_app import FakePipelines, FakeRuns, sent
from tests.unit.test_runs_client import FakeProducer, pipeline

SMALL = LimitsSettings(max_message_bytes=2048, max_params_bytes=100, max_steps=3)


def steps(count: int, when: str | None = None) -> Pipeline:
    listed: list[dict[str, Any]] = [{"name": f"s{i}", "service": "work"} for i in range(count)]
    if when is not None:
        listed[-1]["when"] = when
    return Pipeline.model_validate({"name": "p", "version": 1, "steps": listed})


# -- the settings and the pure checks ---------------------------------------------------------


def test_defaults_and_environment() -> None:
    limits = LimitsSettings()
    assert (limits.max_message_bytes, limits.max_params_bytes) == (1024 * 1024, 64 * 1024)
    assert (limits.max_steps, limits.max_expression_length) == (200, MAX_CONDITION_LENGTH)
    assert MAX_CONDITION_LENGTH == 1000


def test_limits_come_from_podium_limits_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_LIMITS__MAX_STEPS", "7")
    monkeypatch.setenv("PODIUM_LIMITS__MAX_PARAMS_BYTES", "4096")
    limits = PodiumSettings().limits
    assert (limits.max_steps, limits.max_params_bytes) == (7, 4096)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(), st.lists, max_leaves=8))
def test_params_are_measured_as_compact_utf8_json(value: Any) -> None:
    expected = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    assert json_size(value) == expected


def test_params_over_the_limit_name_the_field_the_size_the_limit_and_the_setting() -> None:
    check_params_size({"x": "y" * 80}, SMALL)  # 88 bytes: within
    with pytest.raises(LimitError) as caught:
        check_params_size({"x": "é" * 60}, SMALL)  # 2 bytes each in UTF-8
    error = caught.value
    assert (error.field, error.limit, error.size, error.maximum) == (
        "params",
        "max_params_bytes",
        128,
        100,
    )
    assert str(error) == (
        "params: 128 bytes; the limit is 100 (max_params_bytes, set by "
        "PODIUM_LIMITS__MAX_PARAMS_BYTES)"
    )
    assert reason_of(error) == "validation" and error.detail == "max-params-bytes"


# -- pipelines: max_steps and max_expression_length at validation -----------------------------


def test_more_steps_than_max_steps_is_a_problem_naming_the_limit() -> None:
    assert validate_pipeline(steps(3), SMALL) == []
    (problem,) = validate_pipeline(steps(4), SMALL)
    assert problem.location == "steps"
    assert "4 steps; the limit is 3" in problem.message
    assert "PODIUM_LIMITS__MAX_STEPS" in problem.message
    assert validate_pipeline(steps(201)) != [] and validate_pipeline(steps(200)) == []


def test_a_long_condition_is_refused_by_its_limit_without_quoting_it_back() -> None:
    long = " or ".join(["true"] * 300)  # 2396 characters
    (problem,) = validate_pipeline(steps(1, long))
    assert problem.location == "steps[0] (s0).when"
    assert problem.message.startswith(f"the condition is {len(long)} characters; the limit is")
    assert long not in problem.message
    assert validate_pipeline(steps(1, long), LimitsSettings(max_expression_length=3000)) == []


def test_what_was_accepted_before_is_never_refused_by_a_lower_limit() -> None:
    long = " or ".join(["true"] * 300)
    assert validate_pipeline(steps(300, long), UNLIMITED) == []
    assert evaluate_condition(long, {}, {})  # the coordinator evaluates it whatever its limits


# -- the API ----------------------------------------------------------------------------------


@pytest.fixture
async def client() -> AsyncIterator[tuple[TestClient[Any, Any], ApiServices]]:
    services = ApiServices(
        FakePipelines(pipeline()), FakeRuns(), FakeProducer(), Codec(), TopicNames(), limits=SMALL
    )
    async with TestClient(TestServer(create_app(services, max_body_bytes=4096))) as client:
        yield client, services


async def _post(client: TestClient[Any, Any], body: Any) -> tuple[int, Any]:
    response = await client.post("/v1/runs", data=json.dumps(body))
    return response.status, await response.json()


async def test_api_params_over_the_limit_are_413_naming_params_and_the_limit(
    client: tuple[TestClient[Any, Any], ApiServices],
) -> None:
    http, services = client
    status, answer = await _post(http, {"pipeline": "ingest", "params": {"uri": "u" * 200}})
    assert status == 413 and answer["error"]["field"] == "params"
    assert "max_params_bytes" in answer["error"]["message"]
    assert sent(services) == []
    status, _ = await _post(http, {"pipeline": "ingest", "params": {"uri": "u" * 10}})
    assert status == 202 and len(sent(services)) == 1


async def test_api_body_over_max_message_bytes_is_413_naming_body_and_the_limit(
    client: tuple[TestClient[Any, Any], ApiServices],
) -> None:
    http, services = client
    status, answer = await _post(http, {"pipeline": "ingest", "params": {"uri": "u" * 3000}})
    assert status == 413 and answer["error"]["field"] == "body"
    assert "max_message_bytes" in answer["error"]["message"]
    status, answer = await _post(http, {"pipeline": "ingest", "params": {"uri": "u" * 5000}})
    assert status == 413 and answer["error"]["field"] == "body"  # aiohttp's own cap
    assert "PODIUM_API__MAX_BODY_BYTES" in answer["error"]["message"]
    assert sent(services) == []


# -- the coordinator --------------------------------------------------------------------------


def _handler(limits: LimitsSettings) -> Handler:
    return Handler(
        Codec(), TopicNames(), lambda name, version: pipeline(), TimerIndex(), limits=limits
    )


def _run_requested(params: dict[str, Any]) -> bytes:
    event = wire.RunRequested(
        run_id="run-1",
        pipeline="ingest",
        params_json=json.dumps(params),
        trigger=wire.Trigger(source=wire.TriggerSource.API),
        requested_at=datetime.now(UTC),
    )
    return Codec().encode_event(event)


def test_the_coordinator_rejects_params_over_the_limit_as_validation() -> None:
    handler, table = _handler(SMALL), dict[str, RunState]()
    with pytest.raises(Rejected) as caught:
        handler.handle("podium.runs", _run_requested({"uri": "u" * 200}), [], table)
    assert (caught.value.reason, caught.value.detail) == ("validation", "max-params-bytes")
    assert "max_params_bytes" in str(caught.value) and table == {}
    assert handler.handle("podium.runs", _run_requested({"uri": "u"}), [], table)


def test_the_coordinator_rejects_any_message_over_max_message_bytes() -> None:
    handler = _handler(LimitsSettings(max_message_bytes=1024))
    value = _run_requested({"uri": "u" * 1500})
    with pytest.raises(Rejected) as caught:
        handler.handle("podium.step.results", value, [], {})
    assert (caught.value.reason, caught.value.detail) == ("validation", "max-message-bytes")
    assert f"message on podium.step.results: {len(value)} bytes; the limit is 1024" in str(
        caught.value
    )
    letter = dead_letter(_Record(value), caught.value)
    assert header_value(letter.headers, "podium-dlq-reason") == "validation"
    assert header_value(letter.headers, "podium-dlq-detail") == "max-message-bytes"


class _Record:
    topic, partition, offset, key, timestamp = "podium.runs", 0, 5, b"run-1", 1

    def __init__(self, value: bytes) -> None:
        self.value = value
        self.headers: list[tuple[str, bytes]] = []


# -- the CLI: `podium pipelines validate` -----------------------------------------------------


def _write(path: Path, count: int) -> Path:
    listed = [{"name": f"s{i}", "service": "work"} for i in range(count)]
    path.write_text(yaml.safe_dump({"name": "wide", "version": 1, "steps": listed}))
    return path


def test_validate_refuses_a_pipeline_over_max_steps_naming_file_field_and_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_LIMITS__MAX_STEPS", "5")
    file = _write(tmp_path / "wide.yaml", 6)
    result = CliRunner().invoke(podium, ["pipelines", "validate", str(file)])
    assert result.exit_code == 1
    assert f"error: {file}: steps: 6 steps; the limit is 5" in result.output
    assert "PODIUM_LIMITS__MAX_STEPS" in result.output
    monkeypatch.setenv("PODIUM_LIMITS__MAX_STEPS", "6")
    assert CliRunner().invoke(podium, ["pipelines", "validate", str(file)]).exit_code == 0


def test_apply_refuses_a_pipeline_over_max_steps_before_talking_to_kafka(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_LIMITS__MAX_STEPS", "5")
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never reached
    file = _write(tmp_path / "wide.yaml", 6)
    result = CliRunner().invoke(podium, ["pipelines", "apply", str(file)])
    assert result.exit_code == 2
    assert f"{file}: steps: 6 steps; the limit is 5" in result.output
