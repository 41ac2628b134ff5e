"""The ``podium`` command line. Each subcommand group lives in its own module."""

from podium.cli._main import main, podium

__all__ = ["main", "podium"]
