"""A step's request topic exists before anyone waits on it: ``podium pipelines apply``
creates the missing ones, and a service whose topic is missing says so at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.cli import podium
from podium.testing import random_topic_name, wait_until_sync
from tests.cli import cli_runner

REPO = Path(__file__).resolve().parents[2]


def _pipeline_file(tmp_path: Path, service: str, compensation: str) -> Path:
    definition = {
        "name": f"p-{service}",
        "version": 1,
        "steps": [
            {"name": "a", "service": service, "compensation": {"service": compensation}},
            {"name": "b", "service": service, "after": ["a"]},
        ],
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(definition))
    return path


async def _partitions(bootstrap: str, topics: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics()  # all topics: naming one could create it
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in described if t["topic"] in topics}


def test_apply_creates_every_steps_request_topic_with_the_declared_partitions(
    kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", kafka_bootstrap)
    monkeypatch.setenv("PODIUM_COORDINATOR__PARTITIONS", "4")
    service, undo = (random_topic_name(kind).replace(".", "-") for kind in ("svc", "undo"))
    wanted = [f"podium.steps.{service}", f"podium.steps.{undo}"]
    registry = random_topic_name("registry")
    asyncio.run(_create(kafka_bootstrap, registry))
    path = _pipeline_file(tmp_path, service, undo)
    first = cli_runner().invoke(podium, ["pipelines", "apply", str(path), "--topic", registry])
    assert first.exit_code == 0, first.output
    assert f"created: topic {wanted[0]} (4 partitions, replication 1)" in first.output
    assert asyncio.run(_partitions(kafka_bootstrap, wanted)) == {wanted[0]: 4, wanted[1]: 4}
    again = cli_runner().invoke(podium, ["pipelines", "apply", str(path), "--topic", registry])
    assert again.exit_code == 0 and "created:" not in again.output  # exists: left as it is


def test_a_service_whose_topic_is_missing_says_so_at_once_and_serves_once_created(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    prefix = random_topic_name("missing")
    env = {
        "PATH": "/usr/bin:/bin",
        "PODIUM_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PODIUM_TEST_PREFIX": prefix,
        "PYTHONPATH": f"{REPO / 'services'}:{REPO}",
    }
    log = tmp_path / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "podium", "service", "tests.integration.e2e.services:worker"],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        started = time.monotonic()
        said = wait_until_sync(
            lambda: "does not exist" in log.read_text() and log.read_text(),
            timeout=20,
            what="the service says its topic is missing",
        )
        assert f"{prefix}.steps.worker" in said and "podium pipelines apply" in said
        assert time.monotonic() - started < 20
        asyncio.run(_create(kafka_bootstrap, f"{prefix}.steps.worker"))
        wait_until_sync(
            lambda: f"serving {prefix}.steps.worker" in log.read_text(),
            timeout=20,
            what="the service serves once its topic exists",
        )
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)


async def _create(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        await admin.close()
