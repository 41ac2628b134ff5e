"""The test session's broker choice, and the Docker broker's configuration (which cannot
run here: no Docker engine; this keeps it correct)."""

from __future__ import annotations

import warnings
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.brokers import (
    APACHE_KAFKA_IMAGE,
    BrokerSource,
    broker_source,
    docker_may_answer,
    kafka_environment,
    kafka_spec,
)


@given(st.text(max_size=20), st.booleans())
def test_an_existing_cluster_wins_then_docker_then_the_local_broker(
    bootstrap: str, docker: bool
) -> None:
    source = broker_source({"PODIUM_TEST_BOOTSTRAP": bootstrap}, docker)
    if bootstrap.strip():
        assert source is BrokerSource.EXISTING
    else:
        assert source is (BrokerSource.DOCKER if docker else BrokerSource.LOCAL)


def test_docker_is_asked_only_when_it_may_answer(tmp_path: Path) -> None:
    missing = tmp_path / "docker.sock"
    assert not docker_may_answer({}, missing)
    assert docker_may_answer({"DOCKER_HOST": "tcp://h:2375"}, missing)
    missing.touch()
    assert docker_may_answer({}, missing)


def test_the_container_is_the_official_image_advertising_the_bound_port() -> None:
    spec = kafka_spec("4.1.0", "dockerhost", 40123)
    assert spec.image == f"{APACHE_KAFKA_IMAGE}:4.1.0"
    assert spec.ports == {9092: 40123}
    assert spec.env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://dockerhost:40123"
    assert spec.env["KAFKA_PROCESS_ROLES"] == "broker,controller"


def test_the_fixture_uses_no_deprecated_testcontainers_module() -> None:
    """``testcontainers.kafka`` warns on import, and the suite runs with
    ``filterwarnings = error``: the fixture must build on the core API only."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import testcontainers.core.container
        import testcontainers.core.wait_strategies  # noqa: F401
    source = (Path(__file__).parents[1] / "brokers.py").read_text()
    assert "testcontainers.kafka" not in source and "testcontainers.community" not in source


def test_transactions_and_groups_work_on_one_node() -> None:
    env = kafka_environment("h", 1)
    for replicated in ("OFFSETS_TOPIC", "TRANSACTION_STATE_LOG"):
        assert env[f"KAFKA_{replicated}_REPLICATION_FACTOR"] == "1"
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "1"
