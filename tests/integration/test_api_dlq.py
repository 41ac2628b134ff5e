"""``/v1/dlq`` against a real broker: a poison run event, dead-lettered by the API's own
read model (a real consumer), is listed with its reason, a dry-run replay sends nothing,
and a replay puts it back on the run events topic."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

from podium.contract import header_value
from podium.testing import wait_until
from tests.integration.test_api import Client, client
from tests.integration.test_api_support import Env, env

__all__ = ["client", "env"]

POISON = b"definitely not an avro run event"


async def test_a_dead_letter_is_listed_dry_run_sends_nothing_and_replay_sends_it_back(
    client: Client, env: Env
) -> None:
    events, dlq = env.topics.run_events, f"{env.topics.run_events}.dlq"
    async with AIOKafkaProducer(**env.kwargs, acks="all") as producer:
        sent = await producer.send_and_wait(events, POISON, key=b"run-poison")

    async def listed() -> Any:
        answer = await client.get(f"/v1/dlq/{dlq}")
        body = await answer.json()
        return body if answer.status == 200 and body["letters"] else None

    page = await wait_until(listed, timeout=30, what=f"the poison event in {dlq}")
    (letter,) = page["letters"]
    assert letter["reason"] == "decode" and letter["run_id"] == "run-poison"
    origin = {"topic": events, "partition": sent.partition, "offset": sent.offset}
    assert letter["origin"] == origin and page["depth"] == 1
    overview = (await (await client.get("/v1/dlq")).json())["topics"]
    assert {"topic": dlq, "depth": 1, "by_reason": {"decode": 1}} in overview

    before = await env.count(events)
    where = {"partition": letter["dlq"]["partition"], "offset": letter["dlq"]["offset"]}
    dry = await (await client.post(f"/v1/dlq/{dlq}/replay", json={"offsets": [where]})).json()
    assert dry["dry_run"] is True and dry["replayed"] == 0
    assert dry["plan"] == [where | {"action": "replay", "why": None, "target_topic": events}]
    assert await env.count(events) == before

    done = await client.post(f"/v1/dlq/{dlq}/replay", json={"dry_run": False})
    assert (await done.json())["replayed"] == 1
    assert await env.count(events) == before + 1
    replayed = [r for r in await env.records(events, before + 1) if r.value == POISON]
    assert len(replayed) == 2  # the original and its replay, which counts as one
    assert header_value(list(replayed[-1].headers), "podium-replay-count") == "1"


async def test_an_unknown_dlq_topic_is_404(client: Client, env: Env) -> None:
    missing = await client.get(f"/v1/dlq/{env.topics.runs}-nope.dlq")
    assert missing.status == 404 and (await missing.json())["error"]["field"] == "topic"
