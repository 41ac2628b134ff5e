"""`podium broker` without a broker: help, status of nothing, missing tools, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from podium.cli import podium as cli
from tests.cli import cli_runner

SUBCOMMANDS = ["start", "stop", "status", "logs", "fetch"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """Podium's home in tmp_path, and no configured cluster."""
    monkeypatch.setenv("PODIUM_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("PODIUM_BROKER__KAFKA_VERSION", raising=False)
    return cli_runner()


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_explains_itself(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, ["broker", command, "--help"])
    assert result.exit_code == 0
    assert f"podium broker {command}" in result.output
    assert len(result.output.splitlines()) > 4


def test_the_group_lists_its_subcommands(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["broker", "--help"])
    assert result.exit_code == 0
    assert all(f"  {command} " in result.output for command in SUBCOMMANDS)


def test_status_of_a_never_started_broker_exits_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["broker", "status"])
    assert result.exit_code == 3
    assert "running:  no" in result.output
    assert "(never started)" in result.output
    assert str(tmp_path / "home" / "broker" / "data") in result.output


def test_stop_of_a_broker_that_is_not_running_is_fine(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["broker", "stop"])
    assert result.exit_code == 0
    assert "was not running" in result.output


def test_logs_before_any_start_print_nothing(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["broker", "logs", "-n", "5"])
    assert (result.exit_code, result.output) == (0, "")


def test_logs_show_the_last_lines(runner: CliRunner, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "broker.log").write_text("".join(f"line {n}\n" for n in range(100)))
    result = runner.invoke(cli, ["broker", "logs", "-n", "2", "--state-dir", str(state)])
    assert result.output == "line 98\nline 99\n"


def test_start_without_java_says_what_to_install(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["broker", "start"], env={"PATH": str(tmp_path)})
    assert result.exit_code == 1
    assert "error: `java` is not on PATH" in result.output
    assert "openjdk-17-jre-headless" in result.output


def test_a_bad_kafka_version_is_a_usage_error(runner: CliRunner) -> None:
    for command in ("start", "fetch"):
        result = runner.invoke(cli, ["broker", command, "--kafka-version", "latest"])
        assert result.exit_code == 2
        assert "bad Kafka version 'latest'" in result.output


def test_the_version_setting_is_honoured(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["broker", "status"], env={"PODIUM_BROKER__KAFKA_VERSION": "3.9.1"})
    assert "kafka:    3.9.1" in result.output
