"""Re-run, pause and resume over HTTP (handlers over fakes): what is sent, what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from podium.api import ApiServices, create_app
from podium.codec import Codec
from podium.contract import RunControlAction, RunControlRequested, RunStatus
from podium.pipelines import Pipeline
from podium.settings import TopicNames
from tests.unit.test_api_app import FakePipelines, FakeRuns, sent
from tests.unit.test_runs_client import FakeProducer

INGEST = Pipeline.model_validate(
    {
        "name": "ingest",
        "version": 3,
        "steps": [{"name": "a", "service": "work"}, {"name": "b", "service": "work"}],
    }
)


@pytest.fixture
def services() -> ApiServices:
    runs = FakeRuns()
    runs.event(run_id="failed", status=RunStatus.FAILED)
    runs.event(run_id="running", status=RunStatus.RUNNING)
    runs.event(run_id="done", status=RunStatus.SUCCEEDED)
    runs.event(run_id="paused", status=RunStatus.PAUSED)
    return ApiServices(FakePipelines(INGEST), runs, FakeProducer(), Codec(), TopicNames())


@pytest.fixture
async def client(services: ApiServices) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(services, max_body_bytes=4096))) as client:
        yield client


def controls(services: ApiServices) -> list[RunControlRequested]:
    return [services.codec.decode_event(m["value"], RunControlRequested) for m in sent(services)]


async def test_a_retry_sends_the_request_to_the_runs_topic(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    body = {"from_step": "b", "version": 4, "reason": "fixed", "by": "ann"}
    answer = await client.post("/v1/runs/failed/retry", json=body)
    assert answer.status == 202
    assert await answer.json() == {
        "run_id": "failed",
        "action": "retry",
        "by": "ann",
        "from_step": "b",
        "version": "4",
    }
    [control] = controls(services)
    assert (control.action, control.from_step, control.pipeline_version) == (
        RunControlAction.RETRY,
        "b",
        "4",
    )
    assert (control.reason, control.requested_by) == ("fixed", "ann")
    [message] = sent(services)
    assert message["topic"] == "podium.runs" and message["key"] == b"failed"


async def test_pause_and_resume_are_sent_by_the_api_by_default(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    assert (await client.post("/v1/runs/running/pause")).status == 202
    assert (await client.post("/v1/runs/paused/resume", json={"reason": "ok"})).status == 202
    pause, resume = controls(services)
    assert (pause.run_id, pause.action, pause.requested_by) == (
        "running",
        RunControlAction.PAUSE,
        "api",
    )
    assert (resume.run_id, resume.action, resume.reason) == (
        "paused",
        RunControlAction.RESUME,
        "ok",
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "field", "says"),
    [
        ("/v1/runs/nope/retry", {}, 404, "run_id", "unknown run"),
        ("/v1/runs/running/retry", {}, 409, "run_id", "only a finished run can be retried"),
        ("/v1/runs/done/retry", {}, 409, "run_id", "nothing failed"),
        ("/v1/runs/failed/retry", {"from_step": "ghost"}, 400, "from_step", "not a step"),
        ("/v1/runs/failed/retry", {"version": "two"}, 400, "version", "a version number"),
        ("/v1/runs/failed/retry", {"version": 0}, 400, "version", "a version number"),
        ("/v1/runs/failed/retry", {"from": "a"}, 400, "from", ""),
        ("/v1/runs/done/pause", {}, 409, "run_id", "already finished"),
        ("/v1/runs/paused/pause", {}, 409, "run_id", "already paused"),
        ("/v1/runs/running/resume", {}, 409, "run_id", "it is not paused"),
        ("/v1/runs/running/pause", {"reason": 3}, 400, "reason", "expected a string"),
    ],
)
async def test_what_the_run_does_not_allow_is_refused_with_a_json_error(
    client: TestClient[Any, Any],
    services: ApiServices,
    path: str,
    body: dict[str, Any],
    status: int,
    field: str,
    says: str,
) -> None:
    answer = await client.post(path, json=body)
    error = (await answer.json())["error"]
    assert answer.status == status and error["field"] == field
    assert says in error["message"] and sent(services) == []


async def test_a_retried_succeeded_run_needs_a_step(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    assert (await client.post("/v1/runs/done/retry", json={"from_step": "a"})).status == 202
    [control] = controls(services)
    assert control.from_step == "a" and control.pipeline_version is None
