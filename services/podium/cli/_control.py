"""`podium runs retry | pause | resume` and `podium pipelines pause | resume`: run and
pipeline control from the command line.

Each reads the run from the run events first and refuses, with the reason and what to do
instead, what its status does not allow (exit 1, as `podium runs cancel` does for a
finished run; an unknown run or step exits 2); then it sends one RunControlRequested and
returns once the cluster has it. `podium runs show` shows what the coordinator did.
A pipeline's pause is checked against the registry (an unknown pipeline exits 2, a pause of
a paused one or a resume of one not paused exits 1), then one PipelineControlRequested goes
to the admissions topic; `podium pipelines list` shows it once the coordinator applied it.
"""

from __future__ import annotations

import asyncio
import os

import click

from podium.cli._runs import _pipeline_of
from podium.cli._settings import settings_from
from podium.codec import Codec
from podium.contract import RunControlAction
from podium.registry import PipelineRegistry, check_pipeline_control, control_pipeline
from podium.runs import (
    ReadModel,
    RunView,
    check_pausable,
    check_resumable,
    check_retryable,
    control_run,
    open_producer,
)
from podium.settings import PodiumSettings


@click.command(name="retry")
@click.argument("run_id")
@click.option("--from", "from_step", metavar="STEP", help="Re-run STEP and every step after it.")
@click.option(
    "--version",
    "version",
    metavar="N|latest",
    help="Move the run to this version of its pipeline first (default: its pinned one).",
)
@click.option("--reason", default="", help="Why: recorded with the re-run.")
@click.option("--by", default=None, help="Who asks (default: $USER).")
@click.pass_context
def retry(
    ctx: click.Context,
    run_id: str,
    from_step: str | None,
    version: str | None,
    reason: str,
    by: str | None,
) -> None:
    """Re-run a failed, cancelled or compensated run from its failed steps (or --from STEP).

    The steps before keep their outputs; the re-run is recorded on the run (who, when, from
    where) and its attempts go on counting. A succeeded run can be re-run --from a step.
    """
    if version is not None and version != "latest" and not version.isdigit():
        raise click.BadParameter("a version number or 'latest'", param_hint="--version")
    who = by or os.environ.get("USER") or "cli"
    settings = settings_from(ctx)
    asyncio.run(_retry(settings, run_id, from_step, version, reason, who))
    where = f"from step {from_step}" if from_step else "from its failed steps"
    click.echo(f"re-run requested for run {run_id} {where} (by {who})")


async def _retry(
    settings: PodiumSettings,
    run_id: str,
    from_step: str | None,
    version: str | None,
    reason: str,
    by: str,
) -> None:
    view = await _view(settings, run_id)
    check_retryable(view, run_id, from_step, await _pipeline_of(settings, view))
    await _send(settings, run_id, RunControlAction.RETRY, reason, by, from_step, version)


@click.command(name="pause")
@click.argument("run_id")
@click.option("--reason", default="", help="Why: recorded on the run.")
@click.option("--by", default=None, help="Who asks (default: $USER).")
@click.pass_context
def pause(ctx: click.Context, run_id: str, reason: str, by: str | None) -> None:
    """Pause a running run: no new step is requested until `podium runs resume`; running
    attempts finish and their results are kept."""
    who = by or os.environ.get("USER") or "cli"
    asyncio.run(_pause_or_resume(settings_from(ctx), run_id, RunControlAction.PAUSE, reason, who))
    click.echo(f"pause requested for run {run_id} (by {who})")


@click.command(name="resume")
@click.argument("run_id")
@click.option("--reason", default="", help="Why: recorded on the run.")
@click.option("--by", default=None, help="Who asks (default: $USER).")
@click.pass_context
def resume(ctx: click.Context, run_id: str, reason: str, by: str | None) -> None:
    """Resume a paused run: retries that came due and ready steps are requested."""
    who = by or os.environ.get("USER") or "cli"
    action = RunControlAction.RESUME
    asyncio.run(_pause_or_resume(settings_from(ctx), run_id, action, reason, who))
    click.echo(f"resume requested for run {run_id} (by {who})")


async def _pause_or_resume(
    settings: PodiumSettings, run_id: str, action: RunControlAction, reason: str, by: str
) -> None:
    view = await _view(settings, run_id)
    check = check_pausable if action is RunControlAction.PAUSE else check_resumable
    check(view, run_id)
    await _send(settings, run_id, action, reason, by)


async def _view(settings: PodiumSettings, run_id: str) -> RunView | None:
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        return runs.get(run_id)


async def _send(
    settings: PodiumSettings,
    run_id: str,
    action: RunControlAction,
    reason: str,
    by: str,
    from_step: str | None = None,
    version: str | None = None,
) -> None:
    async with open_producer(settings.client_kwargs()) as producer:
        await control_run(
            producer,
            Codec(),
            settings.topics,
            run_id,
            action,
            from_step=from_step,
            pipeline_version=version,
            reason=reason or None,
            requested_by=by,
        )


COMMANDS = (retry, pause, resume)
"""Added to `podium runs` by the CLI's entry point."""


@click.command(name="pause")
@click.argument("name")
@click.option("--reason", default="", help="Why: recorded with the pause.")
@click.option("--by", default=None, help="Who asks (default: $USER).")
@click.pass_context
def pause_pipeline(ctx: click.Context, name: str, reason: str, by: str | None) -> None:
    """Pause a pipeline: every new run of it waits queued until `podium pipelines resume`;
    runs already running go on."""
    who = by or os.environ.get("USER") or "cli"
    action = RunControlAction.PAUSE
    asyncio.run(_control_pipeline(settings_from(ctx), name, action, reason, who))
    click.echo(f"pause requested for pipeline {name} (by {who})")


@click.command(name="resume")
@click.argument("name")
@click.option("--reason", default="", help="Why: recorded with the resume.")
@click.option("--by", default=None, help="Who asks (default: $USER).")
@click.pass_context
def resume_pipeline(ctx: click.Context, name: str, reason: str, by: str | None) -> None:
    """Resume a paused pipeline: its waiting runs are admitted (in priority, then arrival
    order, under max_active_runs and rate_limit if set)."""
    who = by or os.environ.get("USER") or "cli"
    action = RunControlAction.RESUME
    asyncio.run(_control_pipeline(settings_from(ctx), name, action, reason, who))
    click.echo(f"resume requested for pipeline {name} (by {who})")


async def _control_pipeline(
    settings: PodiumSettings, name: str, action: RunControlAction, reason: str, by: str
) -> None:
    kwargs, topics = settings.client_kwargs(), settings.topics
    async with PipelineRegistry(kwargs, topics.pipelines, follow=False) as registry:
        check_pipeline_control(registry, name, action)
    async with open_producer(kwargs) as producer:
        await control_pipeline(
            producer, Codec(), topics.admissions, name, action, reason=reason or None,
            requested_by=by,
        )  # fmt: skip


PIPELINE_COMMANDS = (pause_pipeline, resume_pipeline)
"""Added to `podium pipelines` by the CLI's entry point."""
