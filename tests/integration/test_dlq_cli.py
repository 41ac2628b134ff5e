"""The read model dead-letters bad run events once, and `podium dlq list | stats` show them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from click.testing import Result

from podium.cli._main import podium
from podium.dlq import read_dlq
from podium.runs import ReadModel
from podium.testing import random_topic_name
from tests.cli import cli_runner


async def invoke(bootstrap: str, *args: str) -> Result:
    """`podium ARGS` in a thread (the command runs its own event loop)."""
    env = {"PODIUM_KAFKA__BOOTSTRAP_SERVERS": bootstrap}
    runner = cli_runner()
    return await asyncio.to_thread(runner.invoke, podium, list(args), env=env)


@pytest.fixture
async def events_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    topic = random_topic_name("dlqcli")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 2, 1), NewTopic(f"{topic}.dlq", 1, 1)])
        yield topic
        await admin.delete_topics([topic, f"{topic}.dlq"])
    finally:
        await admin.close()


async def test_bad_run_events_go_to_the_dlq_once_however_many_readers(
    kafka_bootstrap: str, events_topic: str
) -> None:
    kwargs = {"bootstrap_servers": kafka_bootstrap}
    async with AIOKafkaProducer(**kwargs, acks="all") as producer:
        await producer.send_and_wait(events_topic, b"garbage", key=b"run-a", partition=0)
        await producer.send_and_wait(events_topic, None, key=b"run-b", partition=1)
    for expected in (2, 0):  # the second reader finds both already there
        async with ReadModel(kwargs, events_topic) as runs:
            assert (runs.skipped, runs.dead_lettered) == (2, expected)
    entries, _ = await read_dlq(kwargs, f"{events_topic}.dlq")
    assert sorted((e.origin.partition, e.run_id, e.reason) for e in entries if e.origin) == [
        (0, "run-a", "decode"),
        (1, "run-b", "decode"),
    ]


async def test_list_and_stats_show_reason_origin_run_and_a_preview(
    kafka_bootstrap: str, events_topic: str
) -> None:
    kwargs = {"bootstrap_servers": kafka_bootstrap}
    async with AIOKafkaProducer(**kwargs, acks="all") as producer:
        await producer.send_and_wait(events_topic, b"x" * 5000, key=b"run-big", partition=0)
    async with ReadModel(kwargs, events_topic):
        pass
    listed = await invoke(kafka_bootstrap, "dlq", "list", events_topic)  # the source's twin
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()
    assert header.split()[:3] == ["OFFSET", "REASON", "ORIGIN"]
    assert f"{events_topic}[0]@0" in row and "run-big" in row and "(5000 B)" in row
    assert "x" * 100 not in listed.output  # a preview, never the payload
    as_json = await invoke(kafka_bootstrap, "dlq", "list", f"{events_topic}.dlq", "--json")
    (entry,) = json.loads(as_json.output)["dead_letters"]
    assert entry["origin"] == {"topic": events_topic, "partition": 0, "offset": 0}
    assert entry["size"] == 5000 and entry["reason"] == "decode"
    assert entry["detail"] == "not-avro-framing"
    none = await invoke(kafka_bootstrap, "dlq", "list", events_topic, "--reason", "validation")
    assert "no dead letters" in none.output
    stats = await invoke(kafka_bootstrap, "dlq", "stats", events_topic, "--json")
    assert json.loads(stats.output)["counts"][0]["count"] == 1


async def test_a_missing_dlq_topic_is_one_clear_line(kafka_bootstrap: str) -> None:
    result = await invoke(kafka_bootstrap, "dlq", "list", random_topic_name("nothing"))
    assert result.exit_code == 1
    assert "does not exist" in result.output and "podium dlq stats" in result.output
