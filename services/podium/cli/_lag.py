"""`podium lag [--watch]`: every Podium consumer group's lag, mapped to pipeline steps.

Reads committed offsets and log ends (no group joined, no offset moved). One look takes
two samples ``--gap`` seconds apart, so the rate and drain time have something to go
on; ``--watch`` keeps sampling, and the status (STALLED, STOPPED) judges the window
``PODIUM_LAG__WINDOW_S`` once the watch has run that long.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

import click

from podium.cli._settings import settings_from
from podium.lag import (
    LagMonitor,
    LagReport,
    LagSettings,
    lag_table,
    load_lag_settings,
    open_lag_source,
    report_json,
)
from podium.pipelines import Pipeline
from podium.registry import RegistryTopicMissingError, read_registry
from podium.settings import PodiumSettings


@click.command(name="lag")
@click.option("--watch", is_flag=True, help="Sample again every --interval seconds until Ctrl-C.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    help="Seconds between samples with --watch [PODIUM_LAG__INTERVAL_S, 5].",
)
@click.option(
    "--gap",
    type=click.FloatRange(min=0.1),
    default=1.0,
    show_default=True,
    help="Seconds between the two samples of one look.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per look).")
@click.pass_context
def lag(ctx: click.Context, watch: bool, interval: float | None, gap: float, as_json: bool) -> None:
    """Lag of the coordinator, each step service and the triggers: messages, age, rate,
    time to drain and status, with the pipeline steps each group serves."""
    settings = settings_from(ctx)
    lag_settings = load_lag_settings()
    if interval is not None:
        lag_settings = lag_settings.model_copy(update={"interval_s": interval})
    show = _printer(as_json)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends --watch; nothing to undo
        asyncio.run(_look(settings, lag_settings, gap, watch, show))


async def _look(
    settings: PodiumSettings,
    lag_settings: LagSettings,
    gap: float,
    watch: bool,
    show: Callable[[LagReport], None],
) -> None:
    pipelines = await _pipelines(settings)
    async with open_lag_source(settings.client_kwargs()) as source:
        monitor = LagMonitor(source, lambda: pipelines, lag_settings)
        await monitor.sample()
        await asyncio.sleep(gap)
        show(await monitor.sample())
        while watch:
            await asyncio.sleep(lag_settings.interval_s)
            show(await monitor.sample())


async def _pipelines(settings: PodiumSettings) -> list[Pipeline]:
    """The published pipelines (none before the first ``podium pipelines apply``)."""
    try:
        found = await read_registry(settings.client_kwargs(), settings.topics.pipelines)
    except RegistryTopicMissingError:
        return []
    return [entry.pipeline for entry in found.values()]


def _printer(as_json: bool) -> Callable[[LagReport], None]:
    def show(report: LagReport) -> None:
        if as_json:
            click.echo(json.dumps(report_json(report)))
            return
        taken = datetime.fromtimestamp(report.taken_at, UTC).isoformat(timespec="seconds")
        click.echo(f"lag at {taken} (window {report.window_seconds:.0f}s)")
        for line in lag_table(report):
            click.echo(line)
        click.echo()

    return show
