"""Which real Kafka broker the test session uses, and how the Docker one is built.

Kept apart from ``conftest.py`` so the choice and the container's configuration are
unit-tested (``tests/unit/test_broker_choice.py``) on machines without a Docker engine,
where the Docker path cannot run.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

APACHE_KAFKA_IMAGE = "apache/kafka"
"""The official image: the same Apache Kafka the local broker runs from Maven jars."""
READY_LOG = r"Kafka Server started"


class BrokerSource(Enum):
    EXISTING = "PODIUM_TEST_BOOTSTRAP"
    DOCKER = "testcontainers"
    LOCAL = "local broker from Maven jars"


def broker_source(env: Mapping[str, str], docker_answers: bool) -> BrokerSource:
    """An existing cluster when ``PODIUM_TEST_BOOTSTRAP`` names one, else a container
    when a Docker engine answers, else Podium's own local broker."""
    if env.get("PODIUM_TEST_BOOTSTRAP", "").strip():
        return BrokerSource.EXISTING
    return BrokerSource.DOCKER if docker_answers else BrokerSource.LOCAL


def docker_may_answer(env: Mapping[str, str], socket_path: Path) -> bool:
    """Whether a Docker engine is worth asking (without connecting)."""
    return bool(env.get("DOCKER_HOST")) or socket_path.exists()


def docker_answers() -> bool:
    """True when a Docker engine answers; never leaves a client socket open."""
    if not docker_may_answer(os.environ, Path("/var/run/docker.sock")):
        return False
    import docker

    try:
        client = docker.from_env(timeout=3)
    except Exception:
        return False
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


@dataclass(frozen=True)
class ContainerSpec:
    image: str
    ports: dict[int, int]
    """Container port -> host port."""
    env: dict[str, str]


def kafka_spec(kafka_version: str, host: str, host_port: int) -> ContainerSpec:
    """A single-node KRaft broker from the official ``apache/kafka`` image, advertised at
    ``host:host_port`` (bound to the same port, since a client must reach the address the
    broker advertises), with the internal topics at replication 1 so that transactions
    (the coordinator's) and consumer groups work on one node."""
    image = f"{APACHE_KAFKA_IMAGE}:{kafka_version}"
    return ContainerSpec(image, {9092: host_port}, kafka_environment(host, host_port))


def kafka_container(spec: ContainerSpec) -> DockerContainer:
    """The testcontainers container for ``spec``, waiting for the broker's start line."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    container = DockerContainer(spec.image)
    for inside, outside in spec.ports.items():
        container.with_bind_ports(inside, outside)
    for name, value in spec.env.items():
        container.with_env(name, value)
    return container.waiting_for(LogMessageWaitStrategy(READY_LOG).with_startup_timeout(120))


def kafka_environment(host: str, host_port: int) -> dict[str, str]:
    """The image's settings (``KAFKA_*`` become ``server.properties`` entries)."""
    return {
        "KAFKA_NODE_ID": "1",
        "KAFKA_PROCESS_ROLES": "broker,controller",
        "KAFKA_LISTENERS": "PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093",
        "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{host_port}",
        "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
        "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
        "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
        "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        "KAFKA_NUM_PARTITIONS": "1",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
