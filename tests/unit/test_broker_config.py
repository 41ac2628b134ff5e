"""The pure rules of the local broker's configuration: properties, versions, cluster ids."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from podium.broker import parse_kafka_version
from podium.broker._config import (
    BrokerConfig,
    check_heap,
    check_version_change,
    cluster_id_from_meta,
    is_cluster_id,
    new_cluster_id,
    render_server_properties,
)
from podium.errors import BrokerError, ConfigError

ports = st.integers(min_value=1, max_value=65535)


def _properties(text: str) -> dict[str, str]:
    """Parse Java properties the simple way, failing on a key given twice."""
    parsed: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert key not in parsed, f"{key} given twice"
            parsed[key] = value
    return parsed


def _config(port: int = 9092, controller: int = 9093, version: str = "4.4.0") -> BrokerConfig:
    return BrokerConfig(port, controller, Path("/state/data"), version)


@given(port=ports, controller=ports)
def test_listeners_and_quorum_use_the_chosen_ports_on_loopback(port: int, controller: int) -> None:
    props = _properties(render_server_properties(_config(port, controller)))
    assert props["listeners"] == (
        f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}"
    )
    assert props["advertised.listeners"] == f"PLAINTEXT://127.0.0.1:{port}"
    assert props["controller.quorum.voters"] == f"1@127.0.0.1:{controller}"


def test_a_single_node_combined_broker_with_replication_factor_one() -> None:
    props = _properties(render_server_properties(_config()))
    assert props["process.roles"] == "broker,controller"
    assert props["log.dirs"] == "/state/data"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["transaction.state.log.replication.factor"] == "1"
    assert props["group.initial.rebalance.delay.ms"] == "0"


def test_share_group_settings_only_for_kafka_4() -> None:
    assert "share.coordinator.state.topic.replication.factor" in _properties(
        render_server_properties(_config(version="4.4.0"))
    )
    assert not any(
        key.startswith("share.")
        for key in _properties(render_server_properties(_config(version="3.9.1")))
    )


def test_backslashes_in_the_data_dir_survive_java_properties_escaping() -> None:
    config = BrokerConfig(1, 2, Path("/odd\\dir"), "4.4.0")
    assert _properties(render_server_properties(config))["log.dirs"] == "/odd\\\\dir"


@pytest.mark.parametrize(
    ("text", "expected"), [("4.4.0", (4, 4, 0)), ("3.9.1", (3, 9, 1)), ("4.1.0-rc1", (4, 1, 0))]
)
def test_kafka_versions_parse(text: str, expected: tuple[int, int, int]) -> None:
    assert parse_kafka_version(text) == expected


@pytest.mark.parametrize("text", ["4.4", "latest", "v4.4.0", "4.4.0 ", ""])
def test_a_malformed_version_names_the_option_and_an_example(text: str) -> None:
    with pytest.raises(ConfigError, match=r"--kafka-version.*4\.4\.0"):
        parse_kafka_version(text)


def test_zookeeper_era_versions_are_refused() -> None:
    with pytest.raises(ConfigError, match="KRaft"):
        parse_kafka_version("3.2.3")


def test_an_older_kafka_may_not_open_data_of_a_newer_one() -> None:
    with pytest.raises(BrokerError, match=r"written by Kafka 4\.4\.0.*--state-dir"):
        check_version_change("4.4.0", "3.9.1")
    check_version_change("3.9.1", "4.4.0")  # upgrades are fine
    check_version_change("4.4.0", "4.4.1")
    check_version_change(None, "3.9.1")  # fresh state


def test_heap_sizes_are_checked() -> None:
    assert check_heap("512m") == "512m"
    with pytest.raises(ConfigError, match="PODIUM_BROKER__HEAP"):
        check_heap("lots")


@given(st.binary(min_size=16, max_size=16))
def test_cluster_ids_are_16_bytes_in_unpadded_urlsafe_base64(raw: bytes) -> None:
    assume(any(raw) and raw[0] >> 2 != 62)  # 62 encodes to "-": such draws are redone below
    cluster_id = new_cluster_id(lambda _: raw)
    assert is_cluster_id(cluster_id)
    assert len(cluster_id) == 22 and "=" not in cluster_id
    assert base64.urlsafe_b64decode(cluster_id + "==") == raw


def test_ids_starting_with_a_dash_or_all_zero_are_redrawn() -> None:
    dash_first = bytes([0xF8]) + bytes(15)  # 0b111110.. encodes to "-"
    draws: Iterator[bytes] = iter([bytes(16), dash_first, b"\x01" * 16])
    cluster_id = new_cluster_id(lambda _: next(draws))
    assert cluster_id == base64.urlsafe_b64encode(b"\x01" * 16).decode().rstrip("=")


def test_real_cluster_ids_are_fresh_and_valid() -> None:
    ids = {new_cluster_id() for _ in range(50)}
    assert len(ids) == 50 and all(is_cluster_id(i) and not i.startswith("-") for i in ids)


@pytest.mark.parametrize("text", ["", "short", "A" * 23, "-" + "A" * 21, "A" * 21 + "="])
def test_malformed_cluster_ids_are_recognised(text: str) -> None:
    assert not is_cluster_id(text)


def test_the_cluster_id_is_read_back_from_meta_properties() -> None:
    meta = "#\nnode.id=1\nversion=1\ncluster.id=TJz8cp-WpSUZmWyci7EDfg\n"
    assert cluster_id_from_meta(meta) == "TJz8cp-WpSUZmWyci7EDfg"
    assert cluster_id_from_meta("version=1\n") is None
