"""``GET /v1/lag``: the API's lag monitor's report as JSON, behind the API's token."""

from __future__ import annotations

import dataclasses

from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from podium.api import ApiServices, create_app
from tests.unit.test_api_app import services  # noqa: F401  (the fixture)
from tests.unit.test_lag_monitor import PAYMENTS, Clock, ScriptedSource, monitor_of

AUTH = {"Authorization": "Bearer s3cret"}


async def test_the_lag_report_is_served_with_its_problem(services: ApiServices) -> None:  # noqa: F811
    source = ScriptedSource()
    source.committed = {"podium-service-payments": {PAYMENTS: 1}}
    source.ends = {PAYMENTS: 4}
    source.letters = {TopicPartition("runs.dlq", 0): [0]}
    monitor = monitor_of(source, Clock())
    await monitor.sample()
    with_lag = dataclasses.replace(services, lag=monitor)
    async with TestClient(TestServer(create_app(with_lag, token="s3cret"))) as client:
        assert (await client.get("/v1/lag")).status == 401
        answer = await client.get("/v1/lag", headers=AUTH)
        assert answer.status == 200
        body = await answer.json()
        metrics = await (await client.get("/metrics")).text()
    assert body["problem"] is None
    assert [(g["group"], g["lag_messages"]) for g in body["groups"]] == [
        ("podium-service-payments", 3)
    ]
    assert body["dlq"] == [{"topic": "runs.dlq", "messages": 1, "complete": True}]
    assert 'podium_dlq_depth_messages{topic="runs.dlq"} 1.0' in metrics


async def test_no_monitor_is_a_404_with_a_json_reason(services: ApiServices) -> None:  # noqa: F811
    async with TestClient(TestServer(create_app(services))) as client:
        answer = await client.get("/v1/lag")
        assert answer.status == 404
        assert "no lag monitor" in (await answer.json())["error"]["message"]
