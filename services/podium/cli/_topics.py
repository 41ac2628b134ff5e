"""`podium topics`: make the cluster's topics match ``topics/*.yaml``.

Exit status: 0 done or in sync; 1 the cluster could not be reached or refused
a request; 2 a spec file is invalid (nothing was changed); 3 the cluster still
differs from the files (``plan --exit-code`` with pending changes, or
``apply`` that had to refuse something).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from podium._bundle import bundled
from podium.cli._settings import settings_from
from podium.topics import (
    ClusterState,
    Plan,
    TopicSpecs,
    apply_topics,
    load_topic_specs,
    open_topic_admin,
    plan_lines,
    plan_summary,
    plan_topics,
    status_table,
    topic_statuses,
)

DIFFERS_EXIT_CODE = 3
DEFAULT_PATHS = (Path("topics"),)
"""Relative to the working directory; without one there, Podium's own topic files."""

F = TypeVar("F", bound=Callable[..., Any])


def _spec_options(command: F) -> F:
    """The arguments every subcommand shares: which files, and the replication override."""
    command = click.option(
        "--replication-factor",
        type=click.IntRange(min=1),
        default=None,
        help="Use this replication factor for every topic, whatever the files say "
        "(e.g. 3 on a production cluster; the files hold 1 for the local broker).",
    )(command)
    return click.argument("paths", nargs=-1, type=click.Path(path_type=Path))(command)


@click.group(name="topics")
def group() -> None:
    """Declare Kafka topics in topics/*.yaml and make the cluster match them.

    PATHS are spec files or folders of *.yaml (default: ./topics, or the topic files
    installed with Podium when there is no ./topics folder). Topics are
    only ever created, given more partitions, or given the declared configs:
    nothing is deleted, shrunk or re-replicated. Exit status: 0 ok, 1 Kafka
    error, 2 invalid spec file, 3 the cluster still differs from the files.
    """


@group.command("plan")
@_spec_options
@click.option(
    "--exit-code",
    is_flag=True,
    help=f"Exit {DIFFERS_EXIT_CODE} when the cluster differs from the files (for CI checks).",
)
@click.pass_context
def plan_command(
    ctx: click.Context, paths: tuple[Path, ...], replication_factor: int | None, exit_code: bool
) -> None:
    """Show what `apply` would change, without changing anything.

    Lines read: "+ create", "~ partitions 3 -> 6", "~ config KEY: OLD -> NEW",
    "! refused: WHY" (Kafka or Podium will not do it; fix the file or the cluster).
    """
    specs = _load(paths, replication_factor)
    _, the_plan = asyncio.run(_plan(ctx, specs))
    _echo_plan(the_plan, done=False)
    if exit_code and not the_plan.in_sync:
        ctx.exit(DIFFERS_EXIT_CODE)


@group.command("apply")
@_spec_options
@click.pass_context
def apply_command(
    ctx: click.Context, paths: tuple[Path, ...], replication_factor: int | None
) -> None:
    """Create missing topics, raise partition counts and set declared configs.

    Every spec is checked first (including replication factor against the
    cluster's brokers), so an invalid file changes nothing. Refused changes
    are reported with the reason and make the exit status 3.
    """
    specs = _load(paths, replication_factor)
    the_plan = asyncio.run(_apply(ctx, specs))
    _echo_plan(the_plan, done=True)
    if the_plan.refusals:
        ctx.exit(DIFFERS_EXIT_CODE)


@group.command("list")
@_spec_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per topic).")
@click.pass_context
def list_command(
    ctx: click.Context, paths: tuple[Path, ...], replication_factor: int | None, as_json: bool
) -> None:
    """Show each declared topic on the cluster: ok, missing or differs.

    A value that differs from the files reads "HAVE (want WANT)".
    """
    specs = _load(paths, replication_factor)
    actual = asyncio.run(_describe(ctx, specs))
    statuses = topic_statuses(specs, actual)
    if as_json:
        click.echo(json.dumps([status.model_dump(mode="json") for status in statuses], indent=2))
        return
    for line in status_table(statuses):
        click.echo(line.rstrip())


def _load(paths: tuple[Path, ...], replication_factor: int | None) -> TopicSpecs:
    if not paths:
        paths = DEFAULT_PATHS if DEFAULT_PATHS[0].is_dir() else (bundled("topics"),)
    return load_topic_specs(paths, replication_factor=replication_factor)


async def _plan(ctx: click.Context, specs: TopicSpecs) -> tuple[ClusterState, Plan]:
    async with open_topic_admin(settings_from(ctx).client_kwargs()) as admin:
        return await plan_topics(admin, specs)


async def _describe(ctx: click.Context, specs: TopicSpecs) -> ClusterState:
    async with open_topic_admin(settings_from(ctx).client_kwargs()) as admin:
        return await admin.describe(specs.names())


async def _apply(ctx: click.Context, specs: TopicSpecs) -> Plan:
    async with open_topic_admin(settings_from(ctx).client_kwargs()) as admin:
        return await apply_topics(admin, specs)


def _echo_plan(the_plan: Plan, *, done: bool) -> None:
    for line in plan_lines(the_plan):
        click.echo(line)
    click.echo(plan_summary(the_plan, done=done))
