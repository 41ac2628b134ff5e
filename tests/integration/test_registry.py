"""The pipeline registry against a real broker: each test gets its own compacted topic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.cli import podium
from podium.pipelines import Pipeline, content_hash
from podium.registry import (
    ApplyStatus,
    PipelineRegistry,
    RegistryTopicMissingError,
    UnknownPipelineError,
    apply_pipelines,
    read_registry,
)
from podium.registry._record import HASH_HEADER
from podium.testing import random_topic_name, wait_until
from tests.cli import cli_runner

EXAMPLES = Path(__file__).resolve().parents[2] / "services" / "examples" / "pipelines"


async def create_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(name, 1, 1, topic_configs={"cleanup.policy": "compact"})]
        )
    finally:
        await admin.close()


async def delete_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([name])
    finally:
        await admin.close()


@pytest.fixture
async def registry_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    name = random_topic_name("registry-it")
    await create_topic(kafka_bootstrap, name)
    yield name
    await delete_topic(kafka_bootstrap, name)


@pytest.fixture
def kwargs(kafka_bootstrap: str) -> dict[str, Any]:
    return {"bootstrap_servers": kafka_bootstrap}


def pipeline(name: str = "ingest", version: int = 1, timeout: float = 30) -> Pipeline:
    steps = [{"name": "a", "service": "work", "timeout": timeout}]
    return Pipeline.model_validate({"name": name, "version": version, "steps": steps})


async def end_offset(kwargs: dict[str, Any], topic: str) -> int:
    consumer = AIOKafkaConsumer(**kwargs)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        offsets: dict[TopicPartition, int] = await consumer.end_offsets([partition])
        return offsets[partition]
    finally:
        await consumer.stop()


async def test_apply_publishes_then_is_a_no_op(kwargs: dict[str, Any], registry_topic: str) -> None:
    first = await apply_pipelines(kwargs, [pipeline()], topic=registry_topic)
    assert [(r.key, r.status) for r in first] == [("ingest@1", ApplyStatus.PUBLISHED)]
    second = await apply_pipelines(kwargs, [pipeline()], topic=registry_topic)
    assert [r.status for r in second] == [ApplyStatus.UNCHANGED]
    assert await end_offset(kwargs, registry_topic) == 1  # the no-op produced nothing
    snapshot = await read_registry(kwargs, registry_topic)
    assert list(snapshot) == ["ingest@1"]
    assert snapshot["ingest@1"].pipeline == pipeline()
    assert snapshot["ingest@1"].content_hash == content_hash(pipeline())


async def test_records_carry_key_envelope_and_hash_header(
    kwargs: dict[str, Any], registry_topic: str
) -> None:
    await apply_pipelines(kwargs, [pipeline()], topic=registry_topic)
    consumer = AIOKafkaConsumer(registry_topic, **kwargs, auto_offset_reset="earliest")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), timeout=20)
    finally:
        await consumer.stop()
    assert record.key == b"ingest@1"
    assert dict(record.headers)[HASH_HEADER] == content_hash(pipeline()).encode()
    envelope = json.loads(record.value)
    assert (envelope["format"], envelope["name"], envelope["version"]) == (1, "ingest", 1)


async def test_changed_content_is_refused_and_nothing_is_published(
    kwargs: dict[str, Any], registry_topic: str
) -> None:
    await apply_pipelines(kwargs, [pipeline(timeout=30)], topic=registry_topic)
    results = await apply_pipelines(
        kwargs,
        [pipeline(timeout=31), pipeline("other")],
        topic=registry_topic,
        sources={"ingest@1": "ingest.yaml"},
    )
    assert [r.status for r in results] == [ApplyStatus.REFUSED, ApplyStatus.HELD]
    assert "bump `version` in ingest.yaml" in results[0].reason
    assert await end_offset(kwargs, registry_topic) == 1  # all or nothing: "other" held back
    snapshot = await read_registry(kwargs, registry_topic)
    assert list(snapshot) == ["ingest@1"]
    assert snapshot["ingest@1"].pipeline.steps[0].timeout == 30


async def test_a_new_version_is_published_and_becomes_the_latest(
    kwargs: dict[str, Any], registry_topic: str
) -> None:
    await apply_pipelines(kwargs, [pipeline(timeout=30)], topic=registry_topic)
    results = await apply_pipelines(kwargs, [pipeline(version=2, timeout=31)], topic=registry_topic)
    assert [r.status for r in results] == [ApplyStatus.PUBLISHED]
    async with PipelineRegistry(kwargs, registry_topic) as registry:
        assert registry.get("ingest").version == 2
        assert registry.get("ingest", 1).steps[0].timeout == 30
        assert [e.key for e in registry.list()] == ["ingest@1", "ingest@2"]
        with pytest.raises(UnknownPipelineError, match="known: ingest@1, ingest@2"):
            registry.get("ingest", 3)


async def test_the_reader_follows_publishes_made_after_it_started(
    kwargs: dict[str, Any], registry_topic: str
) -> None:
    async with PipelineRegistry(kwargs, registry_topic) as registry:
        assert registry.list() == []
        await apply_pipelines(kwargs, [pipeline("late")], topic=registry_topic)

        async def seen() -> bool:
            return any(e.key == "late@1" for e in registry.list())

        await wait_until(seen, timeout=20, what="late@1 reaches the running registry")
        assert registry.get("late") == pipeline("late")


async def test_unreadable_records_are_skipped_not_fatal(
    kwargs: dict[str, Any], registry_topic: str
) -> None:
    producer = AIOKafkaProducer(**kwargs)
    await producer.start()
    try:
        await producer.send_and_wait(registry_topic, b"garbage", key=b"broken@1")
    finally:
        await producer.stop()
    await apply_pipelines(kwargs, [pipeline()], topic=registry_topic)
    async with PipelineRegistry(kwargs, registry_topic, follow=False) as registry:
        assert [e.key for e in registry.list()] == ["ingest@1"]
        assert registry.stats.skipped == 1


async def test_a_missing_topic_says_to_apply_the_topics(kwargs: dict[str, Any]) -> None:
    missing = random_topic_name("registry-missing")
    with pytest.raises(RegistryTopicMissingError, match="podium topics apply"):
        await read_registry(kwargs, missing)
    with pytest.raises(RegistryTopicMissingError):
        await apply_pipelines(kwargs, [pipeline()], topic=missing)
    admin = AIOKafkaAdminClient(**kwargs)
    await admin.start()
    try:
        assert missing not in await admin.list_topics()  # looking did not auto-create it
    finally:
        await admin.close()


# --- the CLI (sync tests: the commands run their own event loop) ----------------------------


@pytest.fixture
def cli_topic(kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    name = random_topic_name("registry-cli")
    asyncio.run(create_topic(kafka_bootstrap, name))
    yield name
    asyncio.run(delete_topic(kafka_bootstrap, name))


def test_cli_apply_and_list(cli_topic: str, tmp_path: Path) -> None:
    runner = cli_runner()
    apply = ["pipelines", "apply", str(EXAMPLES), "--topic", cli_topic]
    first = runner.invoke(podium, apply)
    assert first.exit_code == 0, first.output
    published = [line for line in first.output.splitlines() if not line.startswith("created:")]
    assert published[0].startswith("published: file-ingest@2 sha256:")
    again = runner.invoke(podium, apply)
    assert again.exit_code == 0 and again.output.startswith("unchanged: file-ingest@2")

    changed = tmp_path / "file_ingest.yaml"
    changed.write_text((EXAMPLES / "file_ingest.yaml").read_text().replace("30s", "45s"))
    refused = runner.invoke(podium, ["pipelines", "apply", str(changed), "--topic", cli_topic])
    assert refused.exit_code == 1
    assert f"bump `version` in {changed}" in refused.output
    assert "nothing published" in refused.output

    listing = runner.invoke(podium, ["pipelines", "list", "--topic", cli_topic])
    assert listing.exit_code == 0
    assert listing.output.splitlines()[1].split()[:4] == ["file-ingest", "2", "2", "7"]
    as_json = runner.invoke(podium, ["pipelines", "list", "--json", "--topic", cli_topic])
    [summary] = json.loads(as_json.output)
    assert (summary["name"], summary["versions"], summary["steps"]) == ("file-ingest", [2], 7)


def test_cli_list_of_a_missing_topic_exits_2(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    topic = random_topic_name("registry-missing")
    result = cli_runner().invoke(podium, ["pipelines", "list", "--topic", topic])
    assert result.exit_code == 2
    assert "run `podium topics apply`" in result.output
