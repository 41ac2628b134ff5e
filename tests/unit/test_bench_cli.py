"""`podium bench` on the command line: its options, and its plans."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from podium.cli._main import podium
from podium_bench import Plan
from podium_bench._run import CROWDED_TOPICS, crowded_warning


def test_bench_is_a_podium_command_with_the_issue_options() -> None:
    result = CliRunner().invoke(podium, ["bench", "--help"])
    assert result.exit_code == 0
    for option in ("--output", "--runs", "--smoke", "--repeat"):
        assert option in result.output


def test_smoke_is_a_few_hundred_runs_and_a_short_chain() -> None:
    smoke = Plan.smoke()
    assert 100 <= smoke.warmup + smoke.runs + smoke.paced_runs <= 400
    assert smoke.chain_steps < 40


def test_full_is_thousands_of_runs_and_the_forty_step_chain() -> None:
    full = Plan.full()
    assert full.runs >= 3000 and full.chain_steps == 40 and full.chain_sleep_ms == 10
    assert full.load == 0.7
    assert Plan.full(6000).runs == 6000 and Plan.full(6000).warmup == 600
    assert Plan.full().paced_rate is None and Plan.full(None, 42.0).paced_rate == 42.0


def test_a_paced_rate_must_be_positive() -> None:
    result = CliRunner().invoke(podium, ["bench", "--paced-rate", "0"])
    assert result.exit_code == 2
    assert "--paced-rate" in result.output


def test_the_coordinator_runs_at_nice_minus_ten_unless_told_otherwise() -> None:
    assert Plan.full().coordinator_nice == -10 and Plan.smoke().coordinator_nice == -10
    assert Plan.full(None, None, 0).coordinator_nice == 0
    assert Plan.smoke(None, 5).coordinator_nice == 5
    result = CliRunner().invoke(podium, ["bench", "--coordinator-nice", "-21"])
    assert result.exit_code == 2 and "--coordinator-nice" in result.output


def test_a_crowded_cluster_is_pointed_out_before_measuring() -> None:
    assert crowded_warning(CROWDED_TOPICS) is None
    warning = crowded_warning(3058)
    assert warning is not None and "3058 topics" in warning and "clean broker" in warning


def test_an_unreachable_cluster_is_a_clear_error_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")  # nothing listens
    result = CliRunner().invoke(podium, ["bench", "--smoke"])
    assert result.exit_code == 1
    assert "error: benchmark: Kafka at 127.0.0.1:1" in result.output
    assert "Traceback" not in result.output


def test_without_the_harness_bench_says_how_to_get_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "podium_bench", None)  # as if it were not installed
    assert CliRunner().invoke(podium, ["bench", "--help"]).exit_code == 0
    result = CliRunner().invoke(podium, ["bench", "--smoke"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert result.output.startswith("error: podium bench needs the benchmark harness")
    assert "podium_bench" in result.output and "PYTHONPATH" in result.output
