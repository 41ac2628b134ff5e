"""The dashboard's server side over fakes: its page and assets, CSRF, the live run stream,
the lag history, and the DAG layout the page draws."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from podium.api import ApiServices, create_app
from podium.api._csrf import COOKIE, HEADER, csrf_problem
from podium.api._layout import dag_layout
from podium.contract import RunStatus, StepStatus
from tests.unit.test_api_app import FakeRuns, services  # noqa: F401  (the fixture)
from tests.unit.test_lag_monitor import PAYMENTS, Clock, ScriptedSource, monitor_of

TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def fake_runs(services: ApiServices) -> FakeRuns:  # noqa: F811
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    return runs


async def test_the_page_and_its_assets_need_no_token_and_forbid_foreign_script(
    services: ApiServices,  # noqa: F811
) -> None:
    async with TestClient(TestServer(create_app(services, token=TOKEN))) as client:
        page = await client.get("/")
        html = await page.text()
        script = await client.get("/ui/app.js")
        missing = await client.get("/ui/secrets.txt")
        missing_body = await missing.json()
        settings = await client.get("/v1/ui")
    assert page.status == 200 and page.content_type == "text/html"
    assert '<script src="/ui/app.js"' in html
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert COOKIE in page.cookies and page.cookies[COOKIE]["samesite"] == "Strict"
    assert script.status == 200 and script.content_type == "text/javascript"
    assert missing.status == 404 and "no dashboard asset" in missing_body["error"]["message"]
    assert settings.status == 401  # the data behind the page still needs the token


async def test_the_trace_link_template_is_served_to_the_page(services: ApiServices) -> None:  # noqa: F811
    linked = dataclasses.replace(services, trace_url="http://jaeger:16686/trace/{trace_id}")
    async with TestClient(TestServer(create_app(linked))) as client:
        body = await (await client.get("/v1/ui")).json()
    assert body == {"trace_url": "http://jaeger:16686/trace/{trace_id}"}


async def test_a_post_from_another_site_is_refused_and_the_dashboards_own_passes(
    services: ApiServices,  # noqa: F811
) -> None:
    fake_runs(services).event(run_id="r1", status=RunStatus.RUNNING)
    async with TestClient(TestServer(create_app(services))) as client:
        own = f"http://{client.host}:{client.port}"
        foreign = await client.post("/v1/runs/r1/cancel", headers={"Origin": "http://evil.test"})
        bare = await client.post("/v1/runs/r1/cancel", headers={"Origin": own})
        await client.get("/")  # the page sets the cookie in the client's jar
        token = next(c.value for c in client.session.cookie_jar if c.key == COOKIE)
        wrong = await client.post("/v1/runs/r1/cancel", headers={"Origin": own, HEADER: "x"})
        right = await client.post("/v1/runs/r1/cancel", headers={"Origin": own, HEADER: token})
        foreign_error = (await foreign.json())["error"]
        wrong_error = (await wrong.json())["error"]
    assert foreign.status == 403 and "cross-origin" in foreign_error["message"]
    assert bare.status == 403 and wrong.status == 403 and wrong_error["field"] == HEADER
    assert right.status == 202


async def test_programs_that_are_not_browsers_post_as_before(services: ApiServices) -> None:  # noqa: F811
    fake_runs(services).event(run_id="r1", status=RunStatus.RUNNING)
    async with TestClient(TestServer(create_app(services))) as client:
        answer = await client.post("/v1/runs/r1/cancel")
    assert answer.status == 202


HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Origin": st.sampled_from(["http://api:8080", "http://evil.test", "null"]),
        "Sec-Fetch-Site": st.sampled_from(["same-origin", "cross-site", "none"]),
        HEADER: st.sampled_from(["tok", "other"]),
    },
)


@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "DELETE"]),
    headers=HEADERS,
    cookie=st.sampled_from([None, "tok"]),
)
def test_csrf_rules(method: str, headers: dict[str, str], cookie: str | None) -> None:
    problem = csrf_problem(method, "api:8080", headers, cookie)
    if method in ("GET", "HEAD"):
        assert problem is None  # reading is never refused here (the token guards it)
        return
    from_browser = "Origin" in headers or cookie is not None
    foreign = headers.get("Origin") not in (None, "http://api:8080")
    cross = headers.get("Sec-Fetch-Site") == "cross-site"
    matched = cookie is not None and headers.get(HEADER) == cookie
    allowed = not foreign and not cross and (not from_browser or matched)
    assert (problem is None) == allowed


async def read_event(stream: Any) -> dict[str, Any]:
    """The next ``data:`` message of a server-sent event stream (keepalives skipped)."""
    while True:
        line = (await stream.readline()).decode()
        if line.startswith("data: "):
            body: dict[str, Any] = json.loads(line[len("data: ") :])
            return body
        assert line, "the stream ended"


A_FAILED: dict[str, Any] = {
    "run_id": "r1",
    "status": RunStatus.RUNNING,
    "step": "a",
    "step_status": StepStatus.FAILED,
    "attempt": 1,
}


async def test_a_run_stream_sends_the_run_then_each_change(services: ApiServices) -> None:  # noqa: F811
    runs = fake_runs(services)
    runs.event(run_id="r1", status=RunStatus.RUNNING)
    async with TestClient(TestServer(create_app(services))) as client:
        answer = await client.get("/v1/runs/r1/stream")
        assert answer.content_type == "text/event-stream"
        async with asyncio.timeout(10):
            first = await read_event(answer.content)
            runs.event(run_id="other", status=RunStatus.RUNNING)  # not this run's: no message
            runs.event(**A_FAILED)
            second = await read_event(answer.content)
        unknown = await client.get("/v1/runs/nope/stream")
    assert first["run_id"] == "r1" and first["steps"]["a"]["status"] == "PENDING"
    assert second["steps"]["a"]["status"] == "FAILED"
    assert unknown.status == 404
    assert not runs._listeners, "a closed stream leaves no listener behind"


async def test_shutting_the_api_down_ends_open_streams(services: ApiServices) -> None:  # noqa: F811
    fake_runs(services).event(run_id="r1", status=RunStatus.RUNNING)
    app = create_app(services)
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/v1/runs/r1/stream")
        await read_event(answer.content)
        await app.shutdown()
        async with asyncio.timeout(10):  # a guard: without the shutdown hook it waits 15 s+
            rest = await answer.content.read()
    assert b"data:" not in rest


async def test_the_lag_history_holds_every_sample(services: ApiServices) -> None:  # noqa: F811
    source, clock = ScriptedSource(), Clock()
    source.committed = {"podium-service-payments": {PAYMENTS: 1}}
    source.ends = {PAYMENTS: 4}
    monitor = monitor_of(source, clock)
    await monitor.sample()
    clock.now += 5
    source.ends = {PAYMENTS: 9}
    await monitor.sample()
    with_lag = dataclasses.replace(services, lag=monitor)
    async with TestClient(TestServer(create_app(with_lag))) as client:
        body = await (await client.get("/v1/lag/history")).json()
    rows = body["groups"]["podium-service-payments"]
    assert [(t, messages) for t, messages, _ in rows] == [(1000.0, 3), (1005.0, 8)]
    async with TestClient(TestServer(create_app(services))) as client:
        assert (await client.get("/v1/lag/history")).status == 404


@st.composite
def dags(draw: st.DrawFn) -> dict[str, list[str]]:
    """Step -> the steps it runs after, each only after earlier ones (so acyclic)."""
    count = draw(st.integers(1, 12))
    names = [f"s{i}" for i in range(count)]
    return {
        name: draw(st.lists(st.sampled_from(names[:i]), unique=True)) if i else []
        for i, name in enumerate(names)
    }


@given(dags())
def test_every_edge_points_right_and_no_two_steps_share_a_place(
    after: dict[str, list[str]],
) -> None:
    places = dag_layout(after)
    assert set(places) == set(after)
    for name, deps in after.items():
        assert all(places[d].layer < places[name].layer for d in deps)
        assert places[name].layer == (max((places[d].layer for d in deps), default=-1) + 1)
    spots = [(p.layer, p.row) for p in places.values()]
    assert len(set(spots)) == len(spots)
    for layer in {p.layer for p in places.values()}:
        rows = sorted(p.row for p in places.values() if p.layer == layer)
        assert rows == list(range(len(rows)))


def test_a_cycle_or_an_unknown_dependency_still_gets_a_layout() -> None:
    places = dag_layout({"a": ["b"], "b": ["a"], "c": ["missing"]})
    assert set(places) == {"a", "b", "c"} and places["c"].layer == 0
