"""`podium demo` before it touches Kafka: help, a busy port, a missing java; the public API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from podium.cli import podium as cli


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", raising=False)
    return CliRunner()


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_help_says_what_the_demo_does_and_how_to_stop_it(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["demo", "--help"])
    assert result.exit_code == 0
    assert "--once" in result.output and "Ctrl-C" in result.output
    assert "podium broker stop" in result.output


def test_a_busy_api_port_is_refused_before_anything_starts(
    runner: CliRunner, busy_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")  # never reached
    result = runner.invoke(cli, ["demo", "--once", "--api-port", str(busy_port)])
    assert result.exit_code == 2, result.output
    assert f"error: port {busy_port} is busy" in result.output
    assert "--api-port" in result.output
    assert not (tmp_path / "home" / "demo").exists()


def test_without_java_the_demo_says_what_to_install(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    result = runner.invoke(cli, ["demo", "--once"])
    assert result.exit_code == 1, result.output
    assert "broker: starting Kafka" in result.output
    assert "java" in result.output and "error:" in result.output
