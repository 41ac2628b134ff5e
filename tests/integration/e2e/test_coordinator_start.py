"""The coordinator refuses to start when its topics are not co-partitioned with its table."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.coordinator._run import ensure_changelogs
from podium.topics import open_topic_admin
from tests.integration.e2e.stack import PARTITIONS, Stack


def test_a_partition_mismatch_is_refused_with_a_clear_message(own_stack: Stack) -> None:
    env = own_stack.env()
    env["PODIUM_COORDINATOR__PARTITIONS"] = str(PARTITIONS + 1)
    process = subprocess.run(
        [sys.executable, "-m", "podium", "coordinator"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert "co-partitioned" in process.stderr
    assert f"{own_stack.topics.runs}: {PARTITIONS} partitions, expected {PARTITIONS + 1}" in (
        process.stderr
    )


def test_a_table_changelog_with_the_wrong_partition_count_is_refused(own_stack: Stack) -> None:
    """The admissions table's changelog too: the coordinator writes partition p of each
    table to partition p of its changelog, so a mismatch must stop it at the start."""
    changelog = f"{own_stack.settings.coordinator.app_id}-admissions-changelog"
    asyncio.run(create_topic(own_stack, changelog, PARTITIONS + 1))
    process = subprocess.run(
        [sys.executable, "-m", "podium", "coordinator"],
        env=own_stack.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 2
    assert f"{changelog}: {PARTITIONS + 1} partitions, expected {PARTITIONS}" in process.stderr


async def create_topic(stack: Stack, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def test_coordinators_starting_together_all_get_their_changelogs(own_stack: Stack) -> None:
    """Seen: of two coordinators started at once, one exited with "create failed: Topic
    ... already exists" (Kafka says so before its metadata shows the topic)."""
    app = own_stack.settings.coordinator.app_id
    names = [f"{app}-race-{i}-changelog" for i in range(3)]
    starts = [ensure_changelogs(own_stack.settings, names) for _ in range(6)]
    outcomes = await asyncio.gather(*starts, return_exceptions=True)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    async with open_topic_admin(own_stack.settings.client_kwargs()) as admin:
        state = await admin.describe(names)
    assert {name: state.topics[name].partitions for name in names} == dict.fromkeys(
        names, own_stack.settings.coordinator.partitions
    )
