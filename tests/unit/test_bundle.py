"""Podium finds its contract files in an installed wheel first, else in the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium._bundle import CHECKOUT_PATHS, bundled
from podium.errors import ConfigError


def _package(root: Path) -> Path:
    package = root / "services" / "podium"
    package.mkdir(parents=True)
    return package


def test_the_wheels_copy_wins_over_a_checkout(tmp_path: Path) -> None:
    package = _package(tmp_path)
    (package / "_bundled" / "schemas").mkdir(parents=True)
    (tmp_path / "schemas").mkdir()
    assert bundled("schemas", package) == package / "_bundled" / "schemas"


def test_a_checkout_is_read_in_place(tmp_path: Path) -> None:
    package = _package(tmp_path)
    (tmp_path / "deploy" / "kafka").mkdir(parents=True)
    assert bundled("kafka", package) == tmp_path / "deploy" / "kafka"


def test_neither_names_both_places_and_the_fix(tmp_path: Path) -> None:
    package = _package(tmp_path)
    with pytest.raises(ConfigError) as missing:
        bundled("topics", package)
    message = str(missing.value)
    assert str(package / "_bundled" / "topics") in message and str(tmp_path / "topics") in message
    assert "reinstall Podium" in message


def test_this_checkout_has_every_bundled_folder() -> None:
    root = Path(__file__).resolve().parents[2]
    for name, path in CHECKOUT_PATHS.items():
        assert bundled(name) == root / path
