"""``GET /metrics`` on the API's port: its requests by method, route template and status."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from podium.api import ApiServices, create_app
from tests.unit.test_api_app import services  # noqa: F401  (the fixture)


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


async def test_requests_are_counted_by_route_template_and_status(
    services: ApiServices,  # noqa: F811
) -> Any:
    async with TestClient(TestServer(create_app(services, token="s3cret"))) as client:
        auth = {"Authorization": "Bearer s3cret"}
        assert (await client.get("/v1/pipelines", headers=auth)).status == 200
        assert (await client.get("/v1/runs/nope", headers=auth)).status == 404
        assert (await client.get("/v1/runs/other", headers=auth)).status == 404
        assert (await client.get("/v1/pipelines")).status == 401
        assert (await client.get("/no/such/path")).status == 404
        answer = await client.get("/metrics")  # no token: it holds no secret
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = await answer.text()
    counted = samples(text, "podium_api_requests_total")
    assert counted[(("method", "GET"), ("route", "/v1/pipelines"), ("status", "200"))] == 1
    assert counted[(("method", "GET"), ("route", "/v1/runs/{run_id}"), ("status", "404"))] == 2
    assert counted[(("method", "GET"), ("route", "/v1/pipelines"), ("status", "401"))] == 1
    assert counted[(("method", "GET"), ("route", "unmatched"), ("status", "404"))] == 1
    assert "s3cret" not in text
    timed = samples(text, "podium_api_request_duration_seconds_count")
    assert timed[(("route", "/v1/pipelines"),)] == 2
    assert samples(text, "process_cpu_seconds_total")  # the process's own metrics too
