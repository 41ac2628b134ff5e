"""`podium demo`: the README's main command (see ``podium.demo``).

Exit status: 0 the run succeeded; 1 it did not, or something failed to start
(the message has the log tail); 2 a bad option or setting; 130 interrupted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from podium.cli._settings import settings_from


@click.command(name="demo")
@click.option("--once", is_flag=True, help="One run, then stop everything the demo started.")
@click.option(
    "--api-port",
    type=click.IntRange(1, 65535),
    default=None,
    help="The API's port (default: 8080 if free, else a free one).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=180.0,
    show_default=True,
    help="Seconds from the file landing to the run's end.",
)
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Land this CSV file instead of the sample (needs columns id, region, amount).",
)
@click.option(
    "--prometheus",
    is_flag=True,
    help="Also run Prometheus (Debian's `prometheus`) on the processes' metrics, on :9090 if free.",
)
@click.pass_context
def group(
    ctx: click.Context,
    once: bool,
    api_port: int | None,
    timeout: float,
    file: Path | None,
    prometheus: bool,
) -> None:
    """Run the file-ingest example end to end and follow it live.

    Starts the local broker (unless PODIUM_KAFKA__BOOTSTRAP_SERVERS names a
    cluster), applies topics/ and the example pipeline, starts the coordinator,
    the API and the four example services (logs in <PODIUM_HOME>/demo/logs),
    lands a copy of the sample CSV and announces it with a FileLanded event,
    then prints each step's transitions until the run ends, and what the
    services produced (under <PODIUM_HOME>/demo/out).

    Without --once it keeps running until Ctrl-C (which stops the processes it
    started; the broker keeps running until `podium broker stop`). With --once
    it stops them after the run, and the broker too if it started it.
    """
    from podium.demo import DemoOptions, run_demo

    options = DemoOptions(
        once=once, api_port=api_port, timeout=timeout, file=file, prometheus=prometheus
    )
    sys.exit(run_demo(settings_from(ctx), options, echo=click.echo))
