"""`podium pipelines apply` / `list` without a broker: help, and invalid files."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from podium.cli import podium


def test_help_describes_apply_and_list() -> None:
    runner = CliRunner()
    group = runner.invoke(podium, ["pipelines", "--help"])
    assert "apply" in group.output and "list" in group.output and "validate" in group.output
    apply = runner.invoke(podium, ["pipelines", "apply", "--help"])
    words = " ".join(apply.output.split())  # the help is wrapped to the terminal's width
    assert "all or nothing" in words and "bump" in words
    assert "--topic" not in apply.output  # for tests only
    listing = runner.invoke(podium, ["pipelines", "list", "--help"])
    assert "--json" in listing.output


def test_an_invalid_file_publishes_nothing_and_names_the_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an unreachable cluster proves no connection is attempted before validation fails
    monkeypatch.setenv("PODIUM_KAFKA__BOOTSTRAP_SERVERS", "127.0.0.1:1")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nsteps:\n  - {name: a, service: s, after: [nope]}\n")
    (tmp_path / "good.yaml").write_text("name: y\nversion: 1\nsteps:\n  - {name: a, service: s}\n")
    result = CliRunner().invoke(podium, ["pipelines", "apply", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.output and "nope" in result.output
    assert "published" not in result.output


def test_no_pipeline_files_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(podium, ["pipelines", "apply", str(tmp_path)])
    assert result.exit_code == 2
    assert "no *.yaml or *.yml files found" in result.output
