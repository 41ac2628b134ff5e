"""The settings a command runs with: loaded once per invocation from ``PODIUM_*``.

Its own module so that the subcommands import it and the root (``_main``), which
registers them, is imported by nobody but the entry point: no cycle.
"""

from __future__ import annotations

import click

from podium.settings import PodiumSettings, load_settings


def settings_from(ctx: click.Context) -> PodiumSettings:
    """The settings for this invocation, loaded once and shared by subcommands."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        root.obj["settings"] = load_settings()
    settings: PodiumSettings = root.obj["settings"]
    return settings
