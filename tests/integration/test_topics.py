"""Topics as code against a real broker: every test declares its own random topics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from click.testing import CliRunner

from podium.cli import podium
from podium.errors import TopicSpecError
from podium.testing import random_topic_name
from podium.topics import (
    ClusterState,
    Plan,
    TopicSpecs,
    apply_topics,
    load_topic_specs,
    open_topic_admin,
    plan_topics,
)
from podium.topics._plan import IncreasePartitions
from tests.cli import cli_runner


class Topics:
    """Writes spec files of random topics, and deletes every topic it named at the end."""

    def __init__(self, folder: Path, bootstrap: str) -> None:
        self.folder = folder
        self.bootstrap = bootstrap
        self.names: list[str] = []

    def name(self) -> str:
        self.names.append(random_topic_name("topics-it"))
        return self.names[-1]

    def write(self, *topics: dict[str, Any], file: str = "t.yaml") -> Path:
        path = self.folder / file
        path.write_text(yaml.safe_dump({"topics": list(topics)}))
        return path

    def kwargs(self) -> dict[str, Any]:
        return {"bootstrap_servers": self.bootstrap}

    async def state(self) -> ClusterState:
        async with open_topic_admin(self.kwargs()) as admin:
            return await admin.describe(self.names)

    async def delete_all(self) -> None:
        client = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await client.start()
        try:
            existing = set(await client.list_topics())
            doomed = [n for n in self.names if n in existing]
            if doomed:
                await client.delete_topics(doomed)
        finally:
            await client.close()


@pytest.fixture
async def topics(tmp_path: Path, kafka_bootstrap: str) -> AsyncIterator[Topics]:
    helper = Topics(tmp_path, kafka_bootstrap)
    yield helper
    await helper.delete_all()


def topic(name: str, partitions: int, **configs: Any) -> dict[str, Any]:
    return {"name": name, "partitions": partitions, "replication_factor": 1, "configs": configs}


async def apply(topics: Topics, path: Path, **options: Any) -> Plan:
    specs = load_topic_specs([path], **options)
    async with open_topic_admin(topics.kwargs()) as admin:
        return await apply_topics(admin, specs)


async def test_apply_creates_topics_with_their_partitions_and_configs(topics: Topics) -> None:
    compacted, plain = topics.name(), topics.name()
    path = topics.write(
        topic(compacted, 3, **{"cleanup.policy": "compact", "min.insync.replicas": 1}),
        topic(plain, 2, **{"retention.ms": 3600000}),
    )
    done = await apply(topics, path)
    assert [a.kind for a in done.actions] == ["create", "create"]
    state = await topics.state()
    assert state.topics[compacted].partitions == 3
    assert state.topics[compacted].configs == {
        "cleanup.policy": "compact",
        "min.insync.replicas": "1",
    }
    assert state.topics[plain].partitions == 2
    assert state.topics[plain].replication_factor == 1
    assert state.topics[plain].configs == {"retention.ms": "3600000"}


async def test_a_second_apply_changes_nothing(topics: Topics) -> None:
    path = topics.write(topic(topics.name(), 2, **{"retention.ms": 3600000}))
    await apply(topics, path)
    assert await apply(topics, path) == Plan()


async def test_raising_partitions_adds_them(topics: Topics) -> None:
    name = topics.name()
    await apply(topics, topics.write(topic(name, 2)))
    done = await apply(topics, topics.write(topic(name, 5)))
    assert done.actions == (IncreasePartitions(topic=name, current=2, desired=5),)
    assert (await topics.state()).topics[name].partitions == 5


async def test_shrinking_is_refused_with_a_reason_and_changes_nothing(topics: Topics) -> None:
    name = topics.name()
    await apply(topics, topics.write(topic(name, 4)))
    done = await apply(topics, topics.write(topic(name, 2)))
    assert done.actions == ()
    assert [r.reason for r in done.refusals] == [
        "partitions 4 -> 2 would need recreating the topic; "
        "Kafka cannot shrink a topic's partitions"
    ]
    assert (await topics.state()).topics[name].partitions == 4


async def test_altering_a_config_keeps_the_topics_other_dynamic_configs(topics: Topics) -> None:
    name = topics.name()
    await apply(
        topics, topics.write(topic(name, 1, **{"retention.ms": 1000, "segment.ms": 600000}))
    )
    await _set_config_by_hand(
        topics.bootstrap,
        name,
        {"retention.ms": "1000", "segment.ms": "600000", "max.message.bytes": "2000000"},
    )
    # The new spec no longer mentions segment.ms; the hand-set max.message.bytes is unknown to it.
    done = await apply(topics, topics.write(topic(name, 1, **{"retention.ms": 2000})))
    assert [a.kind for a in done.actions] == ["configs"]
    assert (await topics.state()).topics[name].configs == {
        "retention.ms": "2000",
        "segment.ms": "600000",
        "max.message.bytes": "2000000",
    }


async def _set_config_by_hand(bootstrap: str, name: str, configs: dict[str, str]) -> None:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    try:
        await client.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs)])
    finally:
        await client.close()


async def test_more_replicas_than_brokers_is_refused_before_any_change(topics: Topics) -> None:
    fine, too_wide = topics.name(), topics.name()
    path = topics.write(topic(fine, 1), {**topic(too_wide, 1), "replication_factor": 50})
    with pytest.raises(TopicSpecError) as caught:
        await apply(topics, path)
    assert str(caught.value).startswith(
        f"{path}: topics[1].replication_factor: replication factor 50 of {too_wide} is more than"
    )
    assert (await topics.state()).topics == {}


async def test_the_replication_override_applies_to_every_topic(topics: Topics) -> None:
    name = topics.name()
    path = topics.write(topic(name, 1))
    specs = load_topic_specs([path], replication_factor=50)
    async with open_topic_admin(topics.kwargs()) as admin:
        with pytest.raises(TopicSpecError, match=r"^--replication-factor 50: replication factor"):
            await plan_topics(admin, specs)


async def test_the_repos_own_topic_files_apply_cleanly(topics: Topics) -> None:
    # The real files, under random names so the shared broker keeps its own podium.* topics.
    repo = load_topic_specs([Path(__file__).resolve().parents[2] / "topics"])
    prefix = topics.name()
    renamed = TopicSpecs(
        topics=tuple(s.model_copy(update={"name": f"{prefix}.{s.name}"}) for s in repo.topics),
        copartitioned={
            group: tuple(f"{prefix}.{name}" for name in members)
            for group, members in repo.copartitioned.items()
        },
    )
    topics.names += renamed.names()
    async with open_topic_admin(topics.kwargs()) as admin:
        done = await apply_topics(admin, renamed)
        assert len(done.actions) == len(repo.topics)
        _, again = await plan_topics(admin, renamed)
    assert again == Plan()
    state = await topics.state()
    runs = state.topics[f"{prefix}.podium.runs"]
    assert (runs.partitions, runs.configs["retention.ms"]) == (6, "604800000")


# --- the command line --------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, kafka_bootstrap: str) -> CliRunner:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    return cli_runner()


def test_cli_plan_apply_and_list(cli: CliRunner, topics: Topics) -> None:
    name = topics.name()
    path = str(topics.write(topic(name, 3, **{"cleanup.policy": "compact"})))

    planned = cli.invoke(podium, ["topics", "plan", path, "--exit-code"])
    assert planned.exit_code == 3, planned.output
    assert f"+ create {name}: 3 partitions, replication factor 1, cleanup.policy=compact" in (
        planned.output
    )
    assert "Plan: 1 to create, 0 to change, 0 refused." in planned.output

    applied = cli.invoke(podium, ["topics", "apply", path])
    assert applied.exit_code == 0, applied.output
    assert "Applied: 1 created, 0 changed, 0 refused." in applied.output

    again = cli.invoke(podium, ["topics", "apply", path])
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output

    listed = cli.invoke(podium, ["topics", "list", path])
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.output.splitlines() if line.startswith(name))
    assert row.split()[:4] == [name, "ok", "3", "1"]
    assert "cleanup.policy=compact" in row

    assert cli.invoke(podium, ["topics", "plan", path, "--exit-code"]).exit_code == 0


def test_cli_reports_changes_and_refusals(cli: CliRunner, topics: Topics) -> None:
    grow, shrink = topics.name(), topics.name()
    first = str(topics.write(topic(grow, 1, **{"retention.ms": 1000}), topic(shrink, 3)))
    assert cli.invoke(podium, ["topics", "apply", first]).exit_code == 0
    second = str(
        topics.write(topic(grow, 2, **{"retention.ms": 2000}), topic(shrink, 1), file="u.yaml")
    )
    planned = cli.invoke(podium, ["topics", "plan", second])
    assert planned.exit_code == 0, planned.output
    assert planned.output.splitlines() == [
        f"~ {grow}: partitions 1 -> 2",
        f"~ {grow}: config retention.ms: 1000 -> 2000",
        f"! {shrink}: refused: partitions 3 -> 1 would need recreating the topic; "
        "Kafka cannot shrink a topic's partitions",
        "Plan: 0 to create, 1 to change, 1 refused.",
    ]
    applied = cli.invoke(podium, ["topics", "apply", second])
    assert applied.exit_code == 3, applied.output
    assert f"! {shrink}: refused: partitions 3 -> 1" in applied.output


def test_cli_invalid_spec_exits_2_naming_file_and_field(cli: CliRunner, topics: Topics) -> None:
    path = topics.write(topic(topics.name(), 1), topic(topics.name(), 0))
    result = cli.invoke(podium, ["topics", "apply", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {path}: topics[1].partitions: must be >= 1 (got 0)"
    assert asyncio.run(topics.state()).topics == {}


def test_cli_replication_above_brokers_exits_2_and_creates_nothing(
    cli: CliRunner, topics: Topics
) -> None:
    path = str(topics.write(topic(topics.name(), 1)))
    result = cli.invoke(podium, ["topics", "apply", path, "--replication-factor", "50"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --replication-factor 50: replication factor 50 of")
    assert asyncio.run(topics.state()).topics == {}


def test_cli_defaults_to_the_topics_folder(
    cli: CliRunner, topics: Topics, monkeypatch: pytest.MonkeyPatch
) -> None:
    (topics.folder / "topics").mkdir()
    topics.write(topic(topics.name(), 1), file="topics/mine.yaml")
    monkeypatch.chdir(topics.folder)
    result = cli.invoke(podium, ["topics", "plan"])
    assert result.exit_code == 0, result.output
    assert "Plan: 1 to create" in result.output


def test_cli_unreachable_cluster_exits_1(monkeypatch: pytest.MonkeyPatch, topics: Topics) -> None:
    # Uses the async `topics` fixture on purpose: a plain sync test that calls asyncio.run
    # after async tests trips pytest-asyncio < 1.4's "unclosed event loop" (issue #724).
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")
    path = topics.write(topic("x", 1))
    result = cli_runner().invoke(podium, ["topics", "plan", str(path)])
    assert result.exit_code == 1
    assert "error: cannot reach Kafka at 127.0.0.1:1: is it running?" in result.stderr
