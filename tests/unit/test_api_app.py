"""The HTTP API's handlers over fakes (no Kafka): aiohttp's test server and client."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from podium.api import ApiServices, create_app
from podium.codec import Codec
from podium.contract import (
    RunCancelRequested,
    RunRequested,
    RunStatus,
    RunStatusChanged,
    StepStatus,
    trace_context,
)
from podium.pipelines import Pipeline
from podium.registry import PipelinePause, RegisteredPipeline, UnknownPipelineError
from podium.runs import ReadModel, run_id_for
from podium.settings import TopicNames
from tests.unit.test_runs_client import CALLER, W3C, FakeProducer, pipeline

TOKEN = "s3cret-token"
T0 = datetime(2025, 1, 1, tzinfo=UTC)


class FakePipelines:
    def __init__(self, *pipelines: Pipeline) -> None:
        self.entries = [RegisteredPipeline(p, f"sha256:{p.key}", T0) for p in pipelines]
        self.pauses: dict[str, PipelinePause] = {}

    def get(self, name: str, version: int | None = None) -> Pipeline:
        found = [e.pipeline for e in self.entries if e.name == name]
        found = [p for p in found if version is None or p.version == version]
        if not found:
            raise UnknownPipelineError(name, version, [e.key for e in self.entries])
        return max(found, key=lambda p: p.version)

    def list(self) -> list[RegisteredPipeline]:
        return list(self.entries)

    def pause(self, name: str) -> PipelinePause | None:
        return self.pauses.get(name)


class FakeRuns(ReadModel):
    """The real read model, fed events by hand instead of from Kafka."""

    def __init__(self) -> None:
        super().__init__({}, "podium.run.events")

    def event(self, **fields: Any) -> None:
        base: dict[str, Any] = {"pipeline": "ingest", "pipeline_version": "3"}
        base["changed_at"] = T0
        self.apply(RunStatusChanged(**(base | fields)))


@pytest.fixture
def services() -> ApiServices:
    checks = {"read_model": lambda: None, "producer": lambda: None}
    return ApiServices(
        FakePipelines(pipeline()), FakeRuns(), FakeProducer(), Codec(), TopicNames(), checks
    )


@pytest.fixture
async def client(services: ApiServices) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(services, max_body_bytes=2048))) as client:
        yield client


def sent(services: ApiServices) -> list[dict[str, Any]]:
    producer = services.producer
    assert isinstance(producer, FakeProducer)
    return producer.sent


async def post_run(client: TestClient[Any, Any], body: Any, **kwargs: Any) -> tuple[int, Any]:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = await client.post("/v1/runs", data=data, **kwargs)
    return response.status, await response.json()


async def test_a_run_is_accepted_with_its_id_and_pinned_version(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    body = {"pipeline": "ingest", "params": {"uri": "u"}, "idempotency_key": "k"}
    status, answer = await post_run(client, body, headers={"traceparent": CALLER})
    assert status == 202
    assert answer == {"run_id": run_id_for("ingest", "k"), "pipeline": "ingest", "version": 3}
    [record] = sent(services)
    event = services.codec.decode_event(record["value"], RunRequested)
    assert event.run_id == answer["run_id"] and event.pipeline_version == "3"
    assert trace_context(record["headers"])["traceparent"] == CALLER


async def test_a_runs_priority_travels_on_its_request_and_shows_in_its_view(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    _, answer = await post_run(
        client, {"pipeline": "ingest", "params": {"uri": "u"}, "priority": 7}
    )
    [record] = sent(services)
    assert services.codec.decode_event(record["value"], RunRequested).priority == 7
    response = await client.get(f"/v1/runs/{answer['run_id']}")
    assert (await response.json())["priority"] == 7


async def test_the_same_key_twice_is_the_same_run(client: TestClient[Any, Any]) -> None:
    body = {"pipeline": "ingest", "params": {"uri": "u"}, "idempotency_key": "same"}
    first, second = await post_run(client, body), await post_run(client, body)
    assert first[1]["run_id"] == second[1]["run_id"]


async def test_a_new_run_starts_a_trace_and_shows_as_queued(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    _, answer = await post_run(client, {"pipeline": "ingest", "params": {"uri": "u"}})
    assert W3C.match(trace_context(sent(services)[0]["headers"])["traceparent"])
    response = await client.get(f"/v1/runs/{answer['run_id']}")
    view = await response.json()
    assert view["status"] == "QUEUED" and view["steps"]["a"]["status"] == "PENDING"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pipeline": "nope", "params": {}}, "pipeline"),
        ({"pipeline": "ingest", "version": 9, "params": {"uri": "u"}}, "version"),
        ({"pipeline": "ingest", "params": {}}, "params.uri"),
        ({"pipeline": "ingest", "params": {"uri": "u", "threshold": "x"}}, "params.threshold"),
        ({"pipeline": "ingest", "params": {"uri": "u", "other": 1}}, "params.other"),
        ({"pipeline": "ingest", "params": [1]}, "params"),
        ({"pipeline": 5}, "pipeline"),
        ({"params": {}}, "pipeline"),
        ({"pipeline": "ingest", "version": "2"}, "version"),
        ({"pipeline": "ingest", "idempotency_key": 7}, "idempotency_key"),
        ({"pipeline": "ingest", "params": {"uri": "u"}, "priority": 1001}, "priority"),
        ({"pipeline": "ingest", "params": {"uri": "u"}, "priority": "high"}, "priority"),
        ({"pipeline": "ingest", "params": {"uri": "u"}, "priority": True}, "priority"),
        ({"pipeline": "ingest", "params": {"uri": "u"}, "priority": 1.5}, "priority"),
        ({"pipeline": "ingest", "surprise": 1}, "surprise"),
        ("{not json", "body"),
        ("[1, 2]", "body"),
        ('{"pipeline": "ingest", "params": {"uri": NaN}}', "body"),
    ],
)
async def test_bad_requests_are_400_naming_the_field(
    client: TestClient[Any, Any], services: ApiServices, body: Any, field: str
) -> None:
    status, answer = await post_run(client, body)
    assert status == 400 and answer["error"]["field"] == field, answer
    assert answer["error"]["message"] and sent(services) == []


async def test_an_oversized_body_is_413_json(client: TestClient[Any, Any]) -> None:
    huge = {"pipeline": "ingest", "params": {"uri": "x" * 5000}}
    status, answer = await post_run(client, huge)
    assert status == 413 and "error" in answer


async def test_a_run_shows_steps_attempts_timings_and_output(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    runs.event(run_id="r1", status=RunStatus.RUNNING, detail_json='{"params": {"uri": "u"}}')
    runs.event(
        run_id="r1", status=RunStatus.RUNNING, step="a", step_status=StepStatus.RUNNING, attempt=1
    )
    runs.event(
        run_id="r1",
        status=RunStatus.RUNNING,
        step="a",
        step_status=StepStatus.SUCCEEDED,
        attempt=1,
        output_json='{"rows": 2}',
    )
    view = await (await client.get("/v1/runs/r1")).json()
    assert view["params"] == {"uri": "u"} and view["status"] == "RUNNING"
    step = view["steps"]["a"]
    assert step["status"] == "SUCCEEDED" and step["output"] == {"rows": 2}
    assert len(step["attempts"]) == 1 and step["started_at"] and step["finished_at"]


async def test_an_unknown_run_is_404_json(client: TestClient[Any, Any]) -> None:
    response = await client.get("/v1/runs/missing")
    assert response.status == 404 and (await response.json())["error"]["field"] == "run_id"
    cancel = await client.post("/v1/runs/missing/cancel")
    assert cancel.status == 404


async def test_runs_are_listed_newest_first_and_filtered(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    for answer in [await post_run(client, {"pipeline": "ingest", "params": {"uri": "u"}})]:
        assert answer[0] == 202
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    runs.event(run_id="old", status=RunStatus.SUCCEEDED)
    listing = await (await client.get("/v1/runs?limit=1")).json()
    assert listing["count"] == 1 and listing["runs"][0]["status"] == "QUEUED"
    done = await (await client.get("/v1/runs?status=succeeded&pipeline=ingest")).json()
    assert [r["run_id"] for r in done["runs"]] == ["old"]
    for query, field in (("status=bogus", "status"), ("limit=0", "limit"), ("limit=x", "limit")):
        bad = await client.get(f"/v1/runs?{query}")
        assert bad.status == 400 and (await bad.json())["error"]["field"] == field


async def test_cancel_is_202_then_409_once_finished(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    runs.event(run_id="r1", status=RunStatus.RUNNING)
    response = await client.post("/v1/runs/r1/cancel", json={"reason": "wrong file"})
    assert response.status == 202
    cancel = services.codec.decode_event(sent(services)[0]["value"], RunCancelRequested)
    assert (cancel.run_id, cancel.reason, cancel.requested_by) == ("r1", "wrong file", "api")
    runs.event(run_id="r1", status=RunStatus.CANCELLED)
    again = await client.post("/v1/runs/r1/cancel")
    assert again.status == 409 and "CANCELLED" in (await again.json())["error"]["message"]


async def test_pipelines_are_listed_with_their_params(client: TestClient[Any, Any]) -> None:
    body = await (await client.get("/v1/pipelines")).json()
    [entry] = body["pipelines"]
    assert (entry["name"], entry["version"]) == ("ingest", 3)
    assert entry["params"]["uri"]["required"] is True and entry["steps"][0]["name"] == "a"


async def test_healthz_is_503_with_the_reason_when_a_check_fails(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    assert (await client.get("/healthz")).status == 200
    services.checks = {"read_model": lambda: "not caught up", "producer": lambda: None}
    response = await client.get("/healthz")
    body = await response.json()
    assert response.status == 503 and body["checks"]["read_model"] == "not caught up"


async def test_unknown_routes_and_methods_answer_json(client: TestClient[Any, Any]) -> None:
    missing = await client.get("/v2/nothing")
    assert missing.status == 404 and "error" in await missing.json()
    wrong = await client.delete("/v1/runs")
    assert wrong.status == 405 and "error" in await wrong.json()


async def test_with_a_token_every_v1_route_needs_it(services: ApiServices) -> None:
    app = create_app(services, token=TOKEN)
    async with TestClient(TestServer(app)) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            response = await client.get("/v1/pipelines", headers=headers)
            assert response.status == 401 and TOKEN not in await response.text()
        ok = await client.get("/v1/pipelines", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status == 200
        assert (await client.get("/healthz")).status == 200  # probes need no token


async def test_runs_page_by_cursor_newest_first_and_filter_by_time_and_search(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    for i in range(5):
        at = T0 + timedelta(minutes=i)
        detail = json.dumps({"params": {"who": f"u{i % 2}"}, "trigger": {"source": "api"}})
        runs.event(run_id=f"r{i}", status=RunStatus.RUNNING, changed_at=at, detail_json=detail)
    ids: list[str] = []
    url = "/v1/runs?limit=2"
    while url:
        page = await (await client.get(url)).json()
        assert page["count"] == len(page["runs"]) <= 2
        ids += [r["run_id"] for r in page["runs"]]
        url = f"/v1/runs?limit=2&before={page['next']}" if page["next"] else ""
    assert ids == ["r4", "r3", "r2", "r1", "r0"]
    first = (await (await client.get("/v1/runs?limit=1")).json())["runs"][0]
    assert first["trigger"] == {"source": "api"} and first["duration_s"] is None
    since, until = (T0 + timedelta(minutes=1)).isoformat(), "2025-01-01T00:03:00Z"
    window = await (await client.get("/v1/runs", params={"since": since, "until": until})).json()
    assert [r["run_id"] for r in window["runs"]] == ["r2", "r1"] and window["next"] is None
    found = await (await client.get("/v1/runs?q=u1")).json()
    assert [r["run_id"] for r in found["runs"]] == ["r3", "r1"]


async def test_bad_times_and_cursors_are_400_naming_the_field(
    client: TestClient[Any, Any],
) -> None:
    for query, field in (("since=yesterday", "since"), ("until=2025-13-01", "until")):
        bad = await client.get(f"/v1/runs?{query}")
        assert bad.status == 400 and (await bad.json())["error"]["field"] == field
    bad = await client.get("/v1/runs?before=not-a-cursor")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "before"


async def test_pipelines_show_how_their_recent_runs_went(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    for i, status in enumerate((RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SUCCEEDED)):
        runs.event(run_id=f"r{i}", status=RunStatus.RUNNING)
        runs.event(run_id=f"r{i}", status=status, changed_at=T0 + timedelta(seconds=i + 1))
    [entry] = (await (await client.get("/v1/pipelines")).json())["pipelines"]
    recent = entry["recent"]
    assert (recent["runs"], recent["succeeded"], recent["failed"]) == (3, 2, 1)
    assert recent["success_rate"] == 0.6667
    assert (recent["duration_p50_s"], recent["duration_p95_s"]) == (2.0, 3.0)
