"""`podium coordinator`: run the coordinator (a faust worker) in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from podium.cli._main import settings_from


@click.command(name="coordinator")
@click.option(
    "--datadir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Local state folder of this instance (default: <PODIUM_HOME>/coordinator).",
)
@click.pass_context
def group(ctx: click.Context, datadir: Path | None) -> None:
    """Run the coordinator: consumes run requests and step results, drives the runs.

    Several instances share the partitions (one consumer group,
    PODIUM_COORDINATOR__APP_ID). Stop with SIGTERM or Ctrl-C.
    """
    from podium.coordinator._run import run_coordinator

    run_coordinator(settings_from(ctx), datadir=datadir)
