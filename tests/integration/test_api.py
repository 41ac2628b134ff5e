"""The HTTP API against a real broker: requests land on the runs topic, queries answer from
run events produced as the coordinator would (the coordinator itself is not run here)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from podium.api import ApiSettings, create_app, open_services
from podium.contract import (
    RunCancelRequested,
    RunRequested,
    RunStatus,
    TriggerSource,
    trace_context,
)
from podium.testing import wait_until
from tests.integration.test_api_support import Env, env, simulate_run

__all__ = ["env"]

TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TOKEN = "it-token-123"
Client = TestClient[Any, Any]


@pytest.fixture
async def client(env: Env) -> AsyncIterator[Client]:
    api = ApiSettings(start_timeout_s=20)
    async with open_services(env.settings, api, env.codec) as services:
        server = TestServer(create_app(services))
        async with TestClient(server) as client:
            yield client


async def start(client: Client, **body: Any) -> tuple[int, Any]:
    body = {"pipeline": "ingest", "params": {"uri": "file:///in/a.csv"}} | body
    response = await client.post("/v1/runs", json=body, headers={"traceparent": TRACE})
    return response.status, await response.json()


async def test_a_run_request_lands_on_the_runs_topic_with_fields_and_trace(
    client: Client, env: Env
) -> None:
    status, answer = await start(client, idempotency_key="file-a")
    assert status == 202 and (answer["pipeline"], answer["version"]) == ("ingest", 1)
    [record] = await env.records(env.topics.runs, 1)
    event = env.codec.decode_event(record.value, RunRequested)
    assert record.key == answer["run_id"].encode() and event.run_id == answer["run_id"]
    assert (event.pipeline, event.pipeline_version) == ("ingest", "1")
    assert json.loads(event.params_json) == {"uri": "file:///in/a.csv", "threshold": 5}
    assert event.trigger.source is TriggerSource.API and event.idempotency_key == "file-a"
    assert trace_context(record.headers)["traceparent"] == TRACE


async def test_bad_params_are_400_naming_the_field_and_nothing_is_sent(
    client: Client, env: Env
) -> None:
    status, answer = await start(client, params={"uri": "u", "threshold": "high"})
    assert status == 400 and answer["error"]["field"] == "params.threshold"
    status, answer = await start(client, pipeline="unknown")
    assert status == 400 and answer["error"]["field"] == "pipeline"
    assert await env.count(env.topics.runs) == 0


async def test_the_same_idempotency_key_twice_is_one_run_id(client: Client) -> None:
    first = await start(client, idempotency_key="same-file")
    second = await start(client, idempotency_key="same-file")
    assert first[1]["run_id"] == second[1]["run_id"]
    assert (await start(client, idempotency_key="other"))[1]["run_id"] != first[1]["run_id"]


async def test_the_same_idempotency_key_with_other_params_is_409_with_both(
    client: Client, env: Env
) -> None:
    first = await start(client, idempotency_key="k-1")
    again = await start(client, idempotency_key="k-1")  # same params: the same run
    assert first[0] == again[0] == 202 and first[1]["run_id"] == again[1]["run_id"]
    other = {"uri": "file:///in/b.csv"}
    status, answer = await start(client, idempotency_key="k-1", params=other)
    assert status == 409 and answer["error"]["field"] == "idempotency_key"
    error = answer["error"]
    assert error["run_id"] == first[1]["run_id"] and "new key" in error["message"]
    assert error["stored_params"] == {"uri": "file:///in/a.csv", "threshold": 5}
    assert error["params"] == {"uri": "file:///in/b.csv", "threshold": 5}
    assert await env.count(env.topics.runs) == 2  # the conflicting request sent nothing


async def test_a_run_shows_what_the_run_events_say(client: Client, env: Env) -> None:
    _, answer = await start(client)
    run_id = answer["run_id"]
    await simulate_run(env, run_id)

    async def finished() -> Any:
        view = await (await client.get(f"/v1/runs/{run_id}")).json()
        return view if view["status"] == "SUCCEEDED" else None

    view = await wait_until(finished, timeout=20, what="the run to show as succeeded")
    validate = view["steps"]["validate"]
    assert validate["status"] == "SUCCEEDED" and validate["output"] == {"rows": 3}
    assert [a["attempt"] for a in validate["attempts"]] == [1, 2]
    assert validate["attempts"][0]["error"]["message"] == "disk full"
    assert validate["started_at"] < validate["finished_at"]
    assert view["params"] == {"uri": "u", "threshold": 5}
    listing = await (await client.get("/v1/runs?status=succeeded")).json()
    assert [r["run_id"] for r in listing["runs"]] == [run_id]


async def test_a_failed_run_shows_the_steps_error(client: Client, env: Env) -> None:
    await simulate_run(env, "run-fails", fail=True)

    async def failed() -> Any:
        response = await client.get("/v1/runs/run-fails")
        view = await response.json() if response.status == 200 else {}
        return view if view.get("status") == "FAILED" else None

    view = await wait_until(failed, timeout=20, what="the run to show as failed")
    assert view["steps"]["load"]["error"]["type"] == "IOError"
    assert view["error"]["message"] == "disk full" and "load" in view["reason"]


async def test_cancel_produces_a_cancel_request_and_409_once_finished(
    client: Client, env: Env
) -> None:
    await env.emit("run-c", 0, RunStatus.RUNNING)

    async def known() -> bool:
        return (await client.get("/v1/runs/run-c")).status == 200

    await wait_until(known, timeout=20, what="the run to be known")
    response = await client.post("/v1/runs/run-c/cancel", json={"reason": "wrong file"})
    assert response.status == 202
    [record] = await env.records(env.topics.runs, 1)
    cancel = env.codec.decode_event(record.value, RunCancelRequested)
    assert (cancel.run_id, cancel.reason, record.key) == ("run-c", "wrong file", b"run-c")
    await env.emit("run-c", 5, RunStatus.CANCELLED, reason="wrong file")

    async def conflict() -> bool:
        return (await client.post("/v1/runs/run-c/cancel")).status == 409

    await wait_until(conflict, timeout=20, what="cancel of a finished run to be refused")
    assert (await client.post("/v1/runs/nope/cancel")).status == 404


async def test_pipelines_and_health(client: Client) -> None:
    pipelines = await (await client.get("/v1/pipelines")).json()
    assert [(p["name"], p["version"]) for p in pipelines["pipelines"]] == [("ingest", 1)]
    health = await client.get("/healthz")
    assert health.status == 200, await health.text()


async def test_a_token_is_required_when_set(env: Env) -> None:
    api = ApiSettings(token=SecretStr(TOKEN), start_timeout_s=20)
    async with open_services(env.settings, api, env.codec) as services:
        app = create_app(services, token=api.token_value())
        async with TestClient(TestServer(app)) as client:
            body = {"pipeline": "ingest", "params": {"uri": "u"}}
            refused = await client.post("/v1/runs", json=body)
            assert refused.status == 401
            auth = {"Authorization": f"Bearer {TOKEN}"}
            accepted = await client.post("/v1/runs", json=body, headers=auth)
            assert accepted.status == 202


DAY_S = 24 * 3600


async def test_a_run_finished_a_retention_ago_is_forgotten_and_a_running_one_is_not(
    env: Env,
) -> None:
    """The read model forgets a finished run ``finished_run_retention_s`` after it finished
    (30 days by default, as long as ``podium.run.events`` keeps it), so a long-running API
    holds what a restarted one would rebuild; a run still going stays, however old."""
    await simulate_run(env, "old", ago_s=2 * DAY_S)
    await simulate_run(env, "recent")
    await env.emit("going", -2 * DAY_S * 1000, RunStatus.RUNNING)
    api = ApiSettings(start_timeout_s=20, finished_run_retention_s=DAY_S)
    async with (
        open_services(env.settings, api, env.codec) as services,
        TestClient(TestServer(create_app(services))) as client,
    ):
        old = await client.get("/v1/runs/old")
        assert old.status == 404 and "error" in await old.json()
        recent = await client.get("/v1/runs/recent")
        assert recent.status == 200 and (await recent.json())["status"] == "SUCCEEDED"
        going = await client.get("/v1/runs/going")
        assert going.status == 200 and (await going.json())["status"] == "RUNNING"
