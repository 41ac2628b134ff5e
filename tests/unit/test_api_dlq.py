"""``/v1/dlq`` over a fake of the cluster's DLQs: shapes, errors, replay plans (no Kafka)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from podium.api import ApiServices, create_app
from podium.codec import Codec
from podium.dlq import (
    DlqEntry,
    DlqTopicMissingError,
    Replay,
    Skip,
    dead_letter,
    plan_replays,
    superseded_by,
)
from podium.dlq._tail import DlqTail, newest_first
from podium.errors import BrokerError
from podium.settings import TopicNames
from tests.unit.test_api_app import FakePipelines, FakeRuns
from tests.unit.test_dlq import NOW, FakeRecord, _codec_error, _read_back
from tests.unit.test_runs_client import FakeProducer, pipeline

TOPIC = "podium.runs.dlq"


class FakeDeadLetters:
    """DLQs held in memory; replays planned by the real planner, sends recorded."""

    def __init__(self) -> None:
        self.records: dict[str, list[tuple[DlqEntry, Any]]] = {TOPIC: [], "empty.dlq": []}
        self.sent: list[Replay] = []
        self.broken = False

    def add(
        self, offset: int, error: Exception, origin: int | None = None, **record: Any
    ) -> DlqEntry:
        """A letter at ``offset`` of the DLQ, of the record at ``origin`` (100 + offset)."""
        origin = 100 + offset if origin is None else origin
        letter = dead_letter(FakeRecord(offset=origin, **record), error, now=NOW)
        entry = _read_back(letter, offset=offset)
        self.records[TOPIC].append((entry, letter))
        return entry

    async def letters_by_topic(self) -> dict[str, list[DlqEntry]]:
        if self.broken:
            raise BrokerError("Kafka is down", retryable=True)
        return {t: [e for e, _ in found] for t, found in self.records.items()}

    async def tail(self, topic: str, limit: int) -> DlqTail:
        entries = [e for e, _ in self._of(topic)]
        return DlqTail(topic, newest_first(entries)[:limit], len(entries), True)

    async def replay(
        self, topic: str, keep: Callable[[DlqEntry], bool], *, dry_run: bool
    ) -> list[Replay | Skip]:
        found = self._of(topic)
        plan = plan_replays([p for p in found if keep(p[0])], superseded_by(e for e, _ in found))
        if not dry_run:
            self.sent += [step for step in plan if isinstance(step, Replay)]
        return plan

    def _of(self, topic: str) -> list[tuple[DlqEntry, Any]]:
        if topic not in self.records:
            raise DlqTopicMissingError(topic, "localhost:9092")
        return self.records[topic]


@pytest.fixture
def services() -> ApiServices:
    return ApiServices(FakePipelines(pipeline()), FakeRuns(), FakeProducer(), Codec(), TopicNames())


@pytest.fixture
def dlqs() -> FakeDeadLetters:
    return FakeDeadLetters()


@pytest.fixture
async def client(
    services: ApiServices, dlqs: FakeDeadLetters
) -> AsyncIterator[TestClient[Any, Any]]:
    services.dead_letters = dlqs
    async with TestClient(TestServer(create_app(services))) as client:
        yield client


async def test_every_dlq_topic_is_listed_with_its_depth_by_reason(
    client: TestClient[Any, Any], dlqs: FakeDeadLetters
) -> None:
    dlqs.add(0, _codec_error())
    dlqs.add(1, _codec_error())
    dlqs.add(2, ValueError("no such pipeline"))
    body = await (await client.get("/v1/dlq")).json()
    assert body == {
        "topics": [
            {"topic": "empty.dlq", "depth": 0, "by_reason": {}},
            {"topic": TOPIC, "depth": 3, "by_reason": {"decode": 2, "handler": 1}},
        ]
    }


async def test_a_topic_shows_its_newest_letters_with_reason_origin_and_run(
    client: TestClient[Any, Any], dlqs: FakeDeadLetters
) -> None:
    for offset in range(3):
        dlqs.add(offset, RuntimeError("token=abc123 rejected"), headers=[("podium-run-id", b"r7")])
    body = await (await client.get(f"/v1/dlq/{TOPIC}?limit=2")).json()
    assert (body["topic"], body["depth"], body["depth_exact"]) == (TOPIC, 3, True)
    first = body["letters"][0]
    assert [x["dlq"]["offset"] for x in body["letters"]] == [2, 1]
    assert first["origin"] == {"topic": "podium.runs", "partition": 1, "offset": 102}
    assert (first["reason"], first["run_id"]) == ("handler", "r7")
    assert "abc123" not in json.dumps(body)


async def test_a_name_not_ending_in_dlq_is_400_and_an_unknown_topic_404(
    client: TestClient[Any, Any],
) -> None:
    for path in ("/v1/dlq/podium.runs", "/v1/dlq/.dlq"):
        bad = await client.get(path)
        assert bad.status == 400 and (await bad.json())["error"]["field"] == "topic"
        bad = await client.post(f"{path}/replay")
        assert bad.status == 400
    missing = await client.get("/v1/dlq/nope.dlq")
    assert missing.status == 404 and (await missing.json())["error"]["field"] == "topic"
    assert (await client.post("/v1/dlq/nope.dlq/replay")).status == 404
    assert (await client.get(f"/v1/dlq/{TOPIC}?limit=0")).status == 400


async def test_a_replay_is_a_dry_run_unless_asked_and_follows_the_cli_rules(
    client: TestClient[Any, Any], dlqs: FakeDeadLetters
) -> None:
    dlqs.add(0, _codec_error())
    dlqs.add(1, _codec_error())
    dlqs.add(2, _codec_error(), origin=100)  # the same original record as offset 0
    dry = await (await client.post(f"/v1/dlq/{TOPIC}/replay")).json()
    assert dry["dry_run"] is True and dry["replayed"] == 0 and dlqs.sent == []
    actions = [(s["offset"], s["action"], s["target_topic"]) for s in dry["plan"]]
    assert actions == [
        (0, "replay", "podium.runs"),
        (1, "replay", "podium.runs"),
        (2, "skip", "podium.runs"),
    ]
    assert dry["plan"][2]["why"].startswith("skipped: same original record")
    chosen = {"offsets": [{"partition": 0, "offset": 1}], "dry_run": False}
    done = await (await client.post(f"/v1/dlq/{TOPIC}/replay", json=chosen)).json()
    assert done["replayed"] == 1 and [s["offset"] for s in done["plan"]] == [1]
    assert [r.entry.offset for r in dlqs.sent] == [1]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dry_run": "no"}, "dry_run"),
        ({"offsets": 3}, "offsets"),
        ({"offsets": [{"partition": 0}]}, "offsets[0]"),
        ({"offsets": [{"partition": 0, "offset": -1}]}, "offsets[0].offset"),
        ({"offsets": [{"partition": True, "offset": 1}]}, "offsets[0].partition"),
        ({"max": 1}, "max"),
    ],
)
async def test_a_bad_replay_body_is_400_naming_the_field(
    client: TestClient[Any, Any], body: Any, field: str
) -> None:
    bad = await client.post(f"/v1/dlq/{TOPIC}/replay", json=body)
    assert bad.status == 400 and (await bad.json())["error"]["field"] == field


async def test_no_dlq_service_is_404_and_a_broker_failure_503(
    services: ApiServices, dlqs: FakeDeadLetters
) -> None:
    async with TestClient(TestServer(create_app(services))) as plain:
        answer = await plain.get("/v1/dlq")
        assert answer.status == 404
        assert (await answer.json())["error"]["message"] == "this API reads no dead letters"
    dlqs.broken = True
    services.dead_letters = dlqs
    async with TestClient(TestServer(create_app(services))) as client:
        assert (await client.get("/v1/dlq")).status == 503
