"""`podium broker` with real Kafka: each test starts its own broker in tmp_path.

These do not use the session's ``kafka_bootstrap``: they are about starting,
stopping and restarting brokers. The jar cache is the user's (shared with
``podium broker fetch``), so jars resolve once per machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from podium.broker import BrokerStatus, LocalBroker
from podium.broker._probe import broker_answers
from podium.errors import BrokerError, MissingToolError
from podium.settings import PodiumSettings
from podium.testing import random_topic_name, wait_until

STARTED_LINE = "Kafka Server started"


@pytest.fixture(scope="module")
def jars_cache() -> Path:
    return PodiumSettings().jars_cache_dir


def _start(broker: LocalBroker) -> BrokerStatus:
    """Start, or skip when java/mvn are missing (fail in CI, which must have them)."""
    try:
        return broker.start()
    except MissingToolError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI must be able to run the local broker: {exc}")
        pytest.skip(str(exc))


async def _produce(bootstrap: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def _read(bootstrap: str, topic: str, count: int) -> list[bytes]:
    """The first ``count`` values in ``topic``, read from the beginning."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    values: list[bytes] = []

    async def got_all() -> bool:
        batches = await consumer.getmany(timeout_ms=500)
        values.extend(r.value for records in batches.values() for r in records if r.value)
        return len(values) >= count

    try:
        await wait_until(got_all, timeout=30, what=f"{count} messages in {topic}")
    finally:
        await consumer.stop()
    return values


def test_a_restart_keeps_messages_and_the_address(tmp_path: Path, jars_cache: Path) -> None:
    broker = LocalBroker(tmp_path / "state", jars_cache=jars_cache)
    topic = random_topic_name("broker")
    assert broker.status().running is False
    first = _start(broker)
    try:
        assert first.running and not first.already_running and first.bootstrap
        assert (tmp_path / "state" / "bootstrap").read_text().strip() == first.bootstrap
        assert STARTED_LINE in broker.log_tail(100)
        asyncio.run(_produce(first.bootstrap, topic, b"survives a restart"))

        again = broker.start()
        assert again.already_running and again.pid == first.pid

        assert broker.stop() is True
        stopped = broker.status()
        assert (stopped.running, stopped.pid, stopped.bootstrap) == (False, None, first.bootstrap)
        assert not broker_answers(first.bootstrap, timeout=1)

        second = _start(broker)
        assert second.bootstrap == first.bootstrap and second.pid != first.pid
        assert asyncio.run(_read(first.bootstrap, topic, 1)) == [b"survives a restart"]
    finally:
        broker.stop()


def test_the_cli_starts_a_broker_that_outlives_it(tmp_path: Path, jars_cache: Path) -> None:
    state = str(tmp_path / "state")
    started = _podium("start", "--state-dir", state)
    if started.returncode == 1 and "is not on PATH" in started.stderr:
        pytest.skip(started.stderr)
    try:
        assert started.returncode == 0, started.stderr
        assert started.stdout.startswith("started at 127.0.0.1:")
        status = _podium("status", "--state-dir", state)  # the `start` process has exited
        assert status.returncode == 0 and "running:  yes" in status.stdout
        address = (tmp_path / "state" / "bootstrap").read_text().strip()
        assert f"address:  {address}" in status.stdout
        assert broker_answers(address)
        assert STARTED_LINE in _podium("logs", "-n", "100", "--state-dir", state).stdout
        assert _podium("start", "--state-dir", state).stdout.startswith("already running at")
    finally:
        stopped = _podium("stop", "--state-dir", state)
    assert stopped.returncode == 0 and "stopped the broker" in stopped.stdout
    assert _podium("status", "--state-dir", state).returncode == 3


def test_kafka_3_9_starts_and_answers(tmp_path: Path, jars_cache: Path) -> None:
    broker = LocalBroker(tmp_path / "state", kafka_version="3.9.1", jars_cache=jars_cache)
    topic = random_topic_name("broker39")
    status = _start(broker)
    try:
        assert status.kafka_version == "3.9.1" and status.bootstrap
        asyncio.run(_produce(status.bootstrap, topic, b"hello 3.9"))
        assert asyncio.run(_read(status.bootstrap, topic, 1)) == [b"hello 3.9"]
        assert "kafka_2.13-3.9.1.jar" in " ".join(p.name for p in broker.jars.libs.iterdir())
    finally:
        broker.stop()


def test_a_busy_port_is_refused_before_anything_starts(tmp_path: Path, jars_cache: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = LocalBroker(tmp_path / "state", jars_cache=jars_cache, port=port)
        with pytest.raises(BrokerError, match=f"port {port} on 127.0.0.1 is in use"):
            _start(broker)
    assert not broker.status().running and not broker.paths.pid.exists()


def _podium(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in its own process, without a configured cluster."""
    env = {k: v for k, v in os.environ.items() if k != "PODIUM_KAFKA__BOOTSTRAP_SERVERS"}
    command = [sys.executable, "-m", "podium", "broker", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=150)
