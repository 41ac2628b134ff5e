"""Pure parts of the local broker's configuration: versions, cluster ids, server.properties.

Nothing here touches the disk or the network, so all of it is tested without Kafka.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podium.errors import BrokerError, ConfigError
from podium.settings import DEFAULT_KAFKA_VERSION

LOOPBACK = "127.0.0.1"
MIN_KAFKA_VERSION = (3, 3, 0)  # KRaft (no ZooKeeper) is production-ready from 3.3 on

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$")
_CLUSTER_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_HEAP = re.compile(r"^[1-9][0-9]*[kKmMgG]?$")


def parse_kafka_version(text: str) -> tuple[int, int, int]:
    """``"4.4.0"`` -> ``(4, 4, 0)``; anything else is a ConfigError saying what is expected."""
    match = _VERSION.match(text)
    if match is None:
        raise ConfigError(
            f"bad Kafka version {text!r} (--kafka-version / PODIUM_BROKER__KAFKA_VERSION): "
            f"expected MAJOR.MINOR.PATCH such as {DEFAULT_KAFKA_VERSION} or 3.9.1"
        )
    major, minor, patch = (int(part) for part in match.groups())
    if (major, minor, patch) < MIN_KAFKA_VERSION:
        raise ConfigError(
            f"Kafka {text} is too old for `podium broker`, which runs Kafka in KRaft mode: "
            f"use 3.3.0 or newer, e.g. {DEFAULT_KAFKA_VERSION}"
        )
    return major, minor, patch


def check_heap(text: str) -> str:
    """A JVM heap size such as ``512m`` or ``2g``: passed to ``-Xmx`` as it is."""
    if not _HEAP.match(text):
        raise ConfigError(
            f"bad broker heap {text!r} (PODIUM_BROKER__HEAP): expected a JVM size like 512m or 2g"
        )
    return text


def check_version_change(formatted_with: str | None, wanted: str) -> None:
    """Refuse to run an older Kafka on data a newer one wrote: KRaft cannot downgrade."""
    if formatted_with is None:
        return
    if parse_kafka_version(wanted)[:2] < parse_kafka_version(formatted_with)[:2]:
        raise BrokerError(
            f"this broker's data was written by Kafka {formatted_with}, and Kafka {wanted} "
            "cannot read it: start it with the newer version, or use another --state-dir"
        )


def new_cluster_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without ``=`` padding.

    Like Kafka's own ``Uuid.randomUuid`` it never starts with ``-`` (a command line
    would read it as an option) and is never the all-zero id.
    """
    while True:
        raw = random_bytes(16)
        text = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
        if any(raw) and not text.startswith("-"):
            return text


def is_cluster_id(text: str) -> bool:
    """Whether ``text`` has the shape of a KRaft cluster id (22 URL-safe base64 characters)."""
    if not _CLUSTER_ID.match(text) or text.startswith("-"):
        return False
    return len(base64.urlsafe_b64decode(text + "==")) == 16


def cluster_id_from_meta(meta_properties: str) -> str | None:
    """The ``cluster.id`` recorded in a formatted data dir's ``meta.properties``."""
    for line in meta_properties.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "cluster.id":
            return value.strip()
    return None


@dataclass(frozen=True)
class BrokerConfig:
    """What differs between two local brokers: ports, data dir and Kafka version."""

    port: int
    controller_port: int
    data_dir: Path
    kafka_version: str
    node_id: int = 1

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"


def render_server_properties(config: BrokerConfig) -> str:
    """The ``server.properties`` of a single-node KRaft broker (broker and controller in one).

    Internal topics get replication factor 1 (there is one node), and consumer groups
    start without the usual 3 s rebalance delay, which only slows down development.
    """
    lines = [
        "# Written by `podium broker start`; rewritten on every start, so edits are lost.",
        "process.roles=broker,controller",
        f"node.id={config.node_id}",
        f"controller.quorum.voters={config.node_id}@{LOOPBACK}:{config.controller_port}",
        f"listeners=PLAINTEXT://{config.bootstrap},CONTROLLER://{LOOPBACK}:{config.controller_port}",
        f"advertised.listeners=PLAINTEXT://{config.bootstrap}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={_escape(str(config.data_dir))}",
        "num.partitions=1",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        *_share_group_lines(config.kafka_version),
    ]
    return "\n".join(lines) + "\n"


def _share_group_lines(kafka_version: str) -> list[str]:
    """Share groups (Kafka 4.0+) have an internal topic of their own to size for one node."""
    if parse_kafka_version(kafka_version) < (4, 0, 0):
        return []
    return [
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
    ]


def _escape(value: str) -> str:
    """Java properties treat backslashes as escapes; a path must keep its own."""
    return value.replace("\\", "\\\\")
