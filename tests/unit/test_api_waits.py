"""Approvals and signals over HTTP (handlers over fakes): what is sent, and what is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from podium.api import ApiServices, create_app
from podium.codec import Codec
from podium.contract import RunStatus, Signal
from podium.pipelines import Pipeline
from podium.settings import TopicNames
from tests.unit.test_api_app import FakePipelines, FakeRuns, sent
from tests.unit.test_runs_client import FakeProducer

GATED = Pipeline.model_validate(
    {
        "name": "ingest",
        "version": 3,
        "steps": [
            {"name": "a", "service": "work"},
            {"name": "go-live", "kind": "approval", "after": ["a"]},
        ],
    }
)


@pytest.fixture
def services() -> ApiServices:
    runs = FakeRuns()
    runs.event(run_id="r1", status=RunStatus.RUNNING)
    return ApiServices(FakePipelines(GATED), runs, FakeProducer(), Codec(), TopicNames())


@pytest.fixture
async def client(services: ApiServices) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(services, max_body_bytes=4096))) as client:
        yield client


def signals(services: ApiServices) -> list[Signal]:
    return [services.codec.decode_event(m["value"], Signal) for m in sent(services)]


async def test_an_approval_sends_who_and_why_to_the_signals_topic(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    answer = await client.post(
        "/v1/runs/r1/steps/go-live/approve", json={"comment": "looks good", "by": "ann"}
    )
    assert answer.status == 202
    assert await answer.json() == {
        "run_id": "r1",
        "step": "go-live",
        "decision": "approved",
        "by": "ann",
    }
    [signal] = signals(services)
    assert (signal.run_id, signal.name, signal.sent_by) == ("r1", "approval:go-live", "ann")
    assert signal.payload == {"decision": "approve", "comment": "looks good"}
    assert sent(services)[0]["topic"] == "podium.signals"


async def test_a_rejection_without_a_body_is_by_the_api(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    assert (await client.post("/v1/runs/r1/steps/go-live/reject")).status == 202
    [signal] = signals(services)
    assert signal.payload["decision"] == "reject" and signal.sent_by == "api"


@pytest.mark.parametrize(
    ("path", "status", "field", "says"),
    [
        ("/v1/runs/nope/steps/go-live/approve", 404, "run_id", "unknown run"),
        ("/v1/runs/r1/steps/a/approve", 409, "step", "not an approval"),
        ("/v1/runs/r1/steps/ghost/approve", 409, "step", "is not a step of ingest@3"),
    ],
)
async def test_what_cannot_be_approved_is_refused_with_a_json_error(
    client: TestClient[Any, Any],
    services: ApiServices,
    path: str,
    status: int,
    field: str,
    says: str,
) -> None:
    answer = await client.post(path, json={})
    body = await answer.json()
    assert answer.status == status and body["error"]["field"] == field
    assert says in body["error"]["message"] and sent(services) == []


async def test_a_finished_run_takes_no_decision(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    runs.event(run_id="r1", status=RunStatus.SUCCEEDED)
    answer = await client.post("/v1/runs/r1/steps/go-live/approve")
    assert answer.status == 409 and "already finished" in (await answer.json())["error"]["message"]


async def test_bad_decision_fields_are_400(client: TestClient[Any, Any]) -> None:
    for body, field in (
        ({"comment": 3}, "comment"),
        ({"who": "x"}, "who"),
        ({"by": "x" * 3000}, "by"),
    ):
        answer = await client.post("/v1/runs/r1/steps/go-live/approve", json=body)
        assert answer.status == 400 and (await answer.json())["error"]["field"] == field


async def test_a_signal_carries_the_body_as_its_payload(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    answer = await client.post(
        "/v1/runs/r1/signals/go", data=json.dumps({"window": "22:00", "any": [1]}),
        headers={"X-Podium-Sender": "scheduler"},
    )  # fmt: skip
    assert answer.status == 202
    [signal] = signals(services)
    assert (signal.name, signal.sent_by, signal.payload) == (
        "go",
        "scheduler",
        {"window": "22:00", "any": [1]},
    )


async def test_a_signal_body_must_be_a_json_object(client: TestClient[Any, Any]) -> None:
    answer = await client.post("/v1/runs/r1/signals/go", data="[1, 2]")
    assert answer.status == 400 and (await answer.json())["error"]["field"] == "body"
