"""`podium coordinator`: run the coordinator in the foreground.

Exit status: 0 after a clean stop (SIGTERM/SIGINT: processed offsets committed, group
left); 1 the cluster could not be reached, or a produce failed (nothing committed past it).
"""

from __future__ import annotations

import click

from podium.cli._settings import settings_from
from podium.logs import configure_logging


@click.command(name="coordinator")
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on this port at /metrics (0: a free one) "
    "[PODIUM_COORDINATOR__METRICS_PORT; default: none].",
)
@click.pass_context
def group(ctx: click.Context, log_level: str, metrics_port: int | None) -> None:
    """Run the coordinator: consumes run requests and step results, drives the runs.

    Several instances share the partitions (one consumer group,
    PODIUM_COORDINATOR__APP_ID); each keeps its partitions' run state in memory,
    restored from the tables' changelog topics. Stop with SIGTERM or Ctrl-C.
    """
    from podium.coordinator import run_coordinator

    settings = settings_from(ctx)
    configure_logging(log_level, settings.log_format)
    if metrics_port is not None:
        settings.coordinator.metrics_port = metrics_port
    run_coordinator(settings)
