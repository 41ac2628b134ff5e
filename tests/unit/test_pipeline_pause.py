"""Pausing a pipeline and rate-limiting its runs between the wire and the pure cores, without
Kafka: the PipelineControlRequested on the admissions topic, the registry's pause record, the
run side routing a paused pipeline's runs through admission, the wakes of a rate limit, a
rate_limit in a pipeline file, and the API's and the CLI's pause and resume."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from click.testing import CliRunner

from podium import contract as wire
from podium.api import ApiServices, create_app
from podium.cli import podium
from podium.codec import Codec
from podium.contract import PipelineControlRequested, RunControlAction
from podium.coordinator import RunState
from podium.coordinator._admission_handle import AdmissionHandler, admission_input, wake_value
from podium.coordinator._handle import Handler, Rejected
from podium.coordinator._timers import TimerIndex
from podium.coordinator.core import PausePipeline, TokenRate, Wake
from podium.pipelines import Pipeline, check_file
from podium.registry import PipelinePause, pause_at_ms
from podium.registry._catalog import Catalog
from podium.settings import TopicNames
from tests.unit.test_admission_wire import by_topic, run_requested
from tests.unit.test_api_app import FakePipelines, FakeRuns, sent
from tests.unit.test_machine_support import make_pipeline, step
from tests.unit.test_runs_client import FakeProducer

TOPICS = TopicNames()
CODEC = Codec()
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def control(action: RunControlAction, pipeline: str = "ingest") -> bytes:
    event = PipelineControlRequested(
        pipeline=pipeline, action=action, reason="maintenance", requested_by="sre", requested_at=NOW
    )
    return CODEC.encode_event(event)


class Clock:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def admission_handler(clock: Clock | None = None) -> AdmissionHandler:
    return AdmissionHandler(TOPICS.timers, TOPICS.pipelines, CODEC, clock or Clock())


# --- the admission side ----------------------------------------------------------------------


def test_a_pause_on_the_admissions_topic_holds_runs_and_is_written_to_the_registry() -> None:
    handler, table = admission_handler(), dict[str, bytes]()
    assert admission_input(control(RunControlAction.PAUSE), CODEC).event == PausePipeline(
        "sre", "maintenance", int(NOW.timestamp() * 1000)
    )
    [record] = handler.handle(control(RunControlAction.PAUSE), table)
    assert (record.topic, record.key) == (TOPICS.pipelines, b"paused:ingest")
    assert json.loads(record.value or b"")["paused"] is True
    assert handler.paused == {"ingest"}
    enqueue = b'{"kind": "enqueue", "run_id": "r1", "pipeline": "ingest"}'
    assert handler.handle(enqueue, table) == []  # uncapped, but paused: it waits
    assert handler.queued == {"ingest": 1}
    out = handler.handle(control(RunControlAction.RESUME), table)
    assert [m.key for m in out] == [b"r1", b"paused:ingest"]
    assert json.loads(out[1].value or b"")["paused"] is False and "ingest" not in table
    assert handler.paused == set()


def test_a_repeated_pause_changes_nothing_but_is_written_again_and_counted() -> None:
    handler, table = admission_handler(), dict[str, bytes]()
    handler.handle(control(RunControlAction.PAUSE), table)
    [again] = handler.handle(control(RunControlAction.PAUSE), table)
    assert json.loads(again.value or b"")["paused"] is True
    assert handler.counters["ignored:pipeline-already-paused"] == 1
    handler.handle(control(RunControlAction.RESUME), table)
    handler.handle(control(RunControlAction.RESUME), table)
    assert handler.counters["ignored:pipeline-not-paused"] == 1


def test_a_pipeline_control_that_is_not_a_pause_or_resume_is_a_dead_letter() -> None:
    with pytest.raises(Rejected, match="paused or resumed, not RETRY") as caught:
        admission_handler().handle(control(RunControlAction.RETRY), {})
    assert caught.value.reason == "decode"
    with pytest.raises(Rejected, match="neither JSON nor a PipelineControlRequested"):
        admission_handler().handle(b"\xc3\x01junk", {})


def test_a_rate_limit_queues_runs_and_its_wake_admits_the_next_when_a_token_is_due() -> None:
    clock = Clock(1_000.0)
    handler, table = admission_handler(clock), dict[str, bytes]()
    rate = {"runs_per_second": 2, "burst": 1}
    admitted = []
    for run in ("a", "b", "c"):
        value = {"kind": "enqueue", "run_id": run, "pipeline": "ingest", "rate": rate}
        admitted += handler.handle(json.dumps(value).encode(), table)
    assert [m.key for m in admitted] == [b"a"]
    assert admission_input(json.dumps(value).encode()).limits == (None, TokenRate(500_000, 1))
    assert handler.wakes.pop_due(1_000_499) == []
    assert handler.wakes.pop_due(1_000_500) == [("ingest", 1_000_500)]
    assert admission_input(wake_value("ingest")).event == Wake()
    clock.now = 1_000.5
    assert [m.key for m in handler.handle(wake_value("ingest"), table)] == [b"b"]
    handler.recount([table])  # after a rebalance: the wake is set again from the table
    assert handler.wakes.pop_due(1_001_000) == [("ingest", 1_001_000)]


# --- the run side ----------------------------------------------------------------------------


def run_handler(pipeline: Pipeline, paused: set[str]) -> Handler:
    return Handler(
        CODEC, TOPICS, lambda name, version: pipeline, TimerIndex(), lambda: 100.0, paused=paused
    )


def test_a_run_of_a_paused_uncapped_pipeline_starts_queued_and_asks_for_admission() -> None:
    pipeline = make_pipeline(step("a"), name="ingest")
    paused: set[str] = {"ingest"}
    runs, table = run_handler(pipeline, paused), dict[str, RunState]()
    out = by_topic(runs.handle(TOPICS.runs, run_requested(CODEC, "r1"), [], table))
    assert set(out) == {TOPICS.run_events, TOPICS.admissions}  # no step requested
    event = CODEC.decode_event(out[TOPICS.run_events][0].value, wire.RunStatusChanged)
    assert event.status is wire.RunStatus.QUEUED
    assert json.loads(event.detail_json)["pipeline_paused"] is True
    ask = json.loads(out[TOPICS.admissions][0].value or b"")
    assert ask == {"kind": "enqueue", "run_id": "r1", "pipeline": "ingest"}
    paused.clear()  # the registry read the resume: the next run starts at once
    out = by_topic(runs.handle(TOPICS.runs, run_requested(CODEC, "r2"), [], table))
    assert TOPICS.admissions not in out and pipeline.step("a").request_topic in out


def test_a_run_that_waited_for_a_resume_releases_its_place_when_it_ends() -> None:
    pipeline = make_pipeline(step("a"), name="ingest")
    runs, table = run_handler(pipeline, {"ingest"}), dict[str, RunState]()
    runs.handle(TOPICS.runs, run_requested(CODEC, "r1"), [], table)
    cancel = wire.RunCancelRequested(run_id="r1", requested_at=NOW)
    out = by_topic(runs.handle(TOPICS.runs, CODEC.encode_event(cancel), [], table))
    [release] = out[TOPICS.admissions]
    assert json.loads(release.value or b"")["kind"] == "release"


def test_a_re_run_of_a_paused_pipelines_run_waits_for_the_resume() -> None:
    pipeline = make_pipeline(step("a"), name="ingest")
    paused: set[str] = set()
    runs, table = run_handler(pipeline, paused), dict[str, RunState]()
    runs.handle(TOPICS.runs, run_requested(CODEC, "r1"), [], table)
    cancel = wire.RunCancelRequested(run_id="r1", requested_at=NOW)
    runs.handle(TOPICS.runs, CODEC.encode_event(cancel), [], table)
    paused.add("ingest")
    retry = wire.RunControlRequested(
        run_id="r1", action=RunControlAction.RETRY, requested_at=NOW + timedelta(seconds=1)
    )
    out = by_topic(runs.handle(TOPICS.runs, CODEC.encode_event(retry), [], table))
    assert table["r1"].status is wire.RunStatus.QUEUED
    assert set(out) == {TOPICS.run_events, TOPICS.admissions}


def test_a_rate_limited_run_asks_with_its_rate_and_its_start_says_so() -> None:
    pipeline = Pipeline.model_validate(
        {
            "name": "ingest",
            "version": 1,
            "rate_limit": {"runs_per_second": 0.5, "burst": 2},
            "steps": [step("a")],
        }
    )
    runs, table = run_handler(pipeline, set()), dict[str, RunState]()
    out = by_topic(runs.handle(TOPICS.runs, run_requested(CODEC, "r1"), [], table))
    ask = json.loads(out[TOPICS.admissions][0].value or b"")
    assert ask["rate"] == {"runs_per_second": 0.5, "burst": 2} and "limit" not in ask
    event = CODEC.decode_event(out[TOPICS.run_events][0].value, wire.RunStatusChanged)
    assert json.loads(event.detail_json)["rate_limit"] == {"runs_per_second": 0.5, "burst": 2}


# --- the registry ----------------------------------------------------------------------------


def test_the_registry_keeps_each_pipelines_last_pause_or_resume() -> None:
    catalog = Catalog()
    names = catalog.paused_names
    paused = pause_at_ms("ingest", True, "sre", "maintenance", 1_000)
    assert catalog.apply(paused.key, paused.value) is None
    assert "ingest" in names and catalog.pause("ingest") == PipelinePause(
        "ingest", True, "sre", "maintenance", datetime.fromtimestamp(1, UTC)
    )
    resumed = pause_at_ms("ingest", False, "ann", "", 2_000)
    catalog.apply(resumed.key, resumed.value)
    assert "ingest" not in names and catalog.pause("ingest") is not None
    error = catalog.apply(b"paused:other", resumed.value)
    assert error is not None and "the key's pipeline" in str(error)
    assert catalog.stats.skipped == 1 and catalog.list() == []


# --- a pipeline file's rate_limit ------------------------------------------------------------


def test_a_bad_rate_limit_names_its_field(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\nrate_limit: {runs_per_second: 0, brust: 2}\n"
        "steps:\n  - {name: a, service: s}\n"
    )
    pipeline, problems = check_file(path)
    assert pipeline is None
    text = "\n".join(str(p) for p in problems)
    assert "rate_limit.runs_per_second" in text and "must be more than 0" in text
    assert "such as 0.5" in text and "did you mean 'burst'" in text
    result = CliRunner().invoke(podium, ["pipelines", "validate", str(path)])
    assert result.exit_code == 1 and f"{path}" in result.output


def test_validate_says_how_a_rate_limited_pipelines_runs_start(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nversion: 1\nmax_active_runs: 3\nrate_limit: {runs_per_second: 0.5}\n"
        "steps:\n  - {name: a, service: s}\n"
    )
    result = CliRunner().invoke(podium, ["pipelines", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "runs start at most 3 active, at most 0.5 per second (burst 1)" in result.output


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def services() -> ApiServices:
    ingest = Pipeline.model_validate({"name": "ingest", "version": 3, "steps": [step("a")]})
    return ApiServices(FakePipelines(ingest), FakeRuns(), FakeProducer(), CODEC, TOPICS)


@pytest.fixture
async def client(services: ApiServices) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(services, max_body_bytes=4096))) as client:
        yield client


async def test_the_api_pauses_a_pipeline_with_one_record_on_the_admissions_topic(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    answer = await client.post("/v1/pipelines/ingest/pause", json={"reason": "why", "by": "sre"})
    assert answer.status == 202
    assert await answer.json() == {"pipeline": "ingest", "action": "pause", "by": "sre"}
    [message] = sent(services)
    assert message["topic"] == TOPICS.admissions and message["key"] == b"ingest"
    event = CODEC.decode_event(message["value"], PipelineControlRequested)
    assert (event.action, event.reason, event.requested_by) == (
        RunControlAction.PAUSE,
        "why",
        "sre",
    )


async def test_the_api_refuses_an_unknown_pipeline_and_a_pause_that_does_not_fit(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    unknown = await client.post("/v1/pipelines/nope/pause")
    assert unknown.status == 404 and (await unknown.json())["error"]["field"] == "pipeline"
    not_paused = await client.post("/v1/pipelines/ingest/resume")
    assert (
        not_paused.status == 409 and "not paused" in (await not_paused.json())["error"]["message"]
    )
    pipelines = services.pipelines
    assert isinstance(pipelines, FakePipelines)
    pipelines.pauses["ingest"] = PipelinePause("ingest", True, "sre", "why", NOW)
    again = await client.post("/v1/pipelines/ingest/pause")
    assert again.status == 409 and "already paused" in (await again.json())["error"]["message"]
    bad = await client.post("/v1/pipelines/ingest/resume", json={"reason": 3})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "reason"
    assert sent(services) == []
    listing = await (await client.get("/v1/pipelines")).json()
    assert listing["pipelines"][0]["paused"] == {
        "by": "sre",
        "reason": "why",
        "at": NOW.isoformat(),
    }


# --- the CLI ---------------------------------------------------------------------------------


class FakeRegistry(FakePipelines):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        ingest = Pipeline.model_validate({"name": "ingest", "version": 1, "steps": [step("a")]})
        super().__init__(ingest)

    async def __aenter__(self) -> FakeRegistry:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def cli_producer(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProducer]:
    from contextlib import asynccontextmanager

    import podium.cli._control as cli

    producer = FakeProducer()

    @asynccontextmanager
    async def fake_open(_: Any) -> AsyncIterator[FakeProducer]:
        yield producer

    monkeypatch.setattr(cli, "PipelineRegistry", FakeRegistry)
    monkeypatch.setattr(cli, "open_producer", fake_open)
    # a fresh machine has no local broker to fall back on; the producer is never dialled
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:9")
    yield producer


def test_the_cli_pauses_a_known_pipeline_and_refuses_an_unknown_one(
    cli_producer: FakeProducer,
) -> None:
    runner = CliRunner()
    paused = runner.invoke(podium, ["pipelines", "pause", "ingest", "--reason", "x", "--by", "me"])
    assert paused.exit_code == 0, paused.output
    assert "pause requested for pipeline ingest (by me)" in paused.output
    [message] = cli_producer.sent
    assert message["topic"] == TOPICS.admissions and message["key"] == b"ingest"
    unknown = runner.invoke(podium, ["pipelines", "pause", "nope"])
    assert unknown.exit_code == 2 and "nope" in unknown.output
    not_paused = runner.invoke(podium, ["pipelines", "resume", "ingest"])
    assert not_paused.exit_code == 1 and "is not paused" in not_paused.output


async def test_a_queued_runs_json_says_what_it_waits_for(
    client: TestClient[Any, Any], services: ApiServices
) -> None:
    runs = services.runs
    assert isinstance(runs, FakeRuns)
    rate = {"runs_per_second": 2.0, "burst": 1}
    detail = {"params": {}, "trigger": {}, "pipeline_paused": True, "rate_limit": rate}
    runs.event(run_id="q", status=wire.RunStatus.QUEUED, detail_json=json.dumps(detail))
    shown = await (await client.get("/v1/runs/q")).json()
    assert shown["queued_for"] == ["pipeline paused", "rate_limit 2/s"]
    runs.event(run_id="q", status=wire.RunStatus.RUNNING)
    assert (await (await client.get("/v1/runs/q")).json())["queued_for"] == []
