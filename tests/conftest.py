"""Shared test configuration.

``kafka_bootstrap`` yields one broker for the whole session, chosen in order:
1. ``PODIUM_TEST_BOOTSTRAP``: an existing cluster;
2. the official ``apache/kafka`` image through testcontainers, when a Docker engine
   answers (``tests/brokers.py``);
3. Podium's own local broker (real Apache Kafka from Maven jars), started once
   in a temporary state directory and stopped at the end.
In CI (``CI=true``) a test that cannot get a broker fails; it never skips.

``apicurio_registry`` is a real Confluent-compatible Schema Registry (Apicurio, built by
``deploy/schema-registry/``), started once for the session on a free port when a test asks
for it; without java and mvn, or when it cannot be built or started, such a test skips
(fails in CI).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from podium.testing import random_topic_name
from tests.brokers import (
    BrokerSource,
    broker_source,
    docker_answers,
    free_port,
    kafka_container,
    kafka_spec,
)
from tests.required import require_tools, unavailable
from tests.schema_registry import ApicurioRegistry, ApicurioUnavailableError, build_apicurio


def _no_broker(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"integration tests need a Kafka broker in CI: {reason}")
    pytest.skip(f"no Kafka broker: {reason}")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a real Kafka broker for this test session."""
    source = broker_source(os.environ, docker_answers())
    if source is BrokerSource.EXISTING:
        yield os.environ["PODIUM_TEST_BOOTSTRAP"].strip()
    elif source is BrokerSource.DOCKER:
        yield from _testcontainers_broker()
    else:
        yield from _local_broker(tmp_path_factory.mktemp("broker"))


def _testcontainers_broker() -> Iterator[str]:
    from testcontainers.core.docker_client import DockerClient

    from podium.settings import PodiumSettings

    host, port = DockerClient().host(), free_port()
    with kafka_container(kafka_spec(PodiumSettings().broker.kafka_version, host, port)):
        yield f"{host}:{port}"


def _local_broker(state_dir: Path) -> Iterator[str]:
    from podium.broker import LocalBroker
    from podium.errors import BrokerError
    from podium.settings import PodiumSettings

    settings = PodiumSettings()
    broker = LocalBroker(
        state_dir,
        kafka_version=settings.broker.kafka_version,
        jars_cache=settings.jars_cache_dir,
    )
    try:
        status = broker.start()
    except BrokerError as exc:
        _no_broker(str(exc))
        return
    assert status.bootstrap is not None
    try:
        yield status.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def topic_name() -> str:
    """A fresh random topic name for one test."""
    return random_topic_name()


@pytest.fixture(scope="session")
def apicurio_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApicurioRegistry]:
    """A real Schema Registry (Apicurio) for this test session, stopped at its end."""
    test = "a test against the real Schema Registry"
    require_tools(test, "java", "mvn")
    home = tmp_path_factory.mktemp("apicurio")
    try:
        build_apicurio()
        registry = ApicurioRegistry(free_port(), home / "data", home / "registry.log").start()
    except ApicurioUnavailableError as exc:
        unavailable(test, str(exc))
        return
    try:
        yield registry
    finally:
        registry.stop()
