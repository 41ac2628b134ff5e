"""`podium pipelines`: validate definition files, publish them to the registry, list it.

Exit status of `apply`: 0 published or unchanged; 1 refused (nothing was
published) or Kafka failed; 2 an invalid file (nothing was published) or the
registry topic is missing.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from podium.cli._settings import settings_from
from podium.pipelines import (
    Pipeline,
    Problem,
    Step,
    check_file,
    duplicate_keys,
    pipeline_files,
)
from podium.registry import (
    DEFAULT_TOPIC,
    ApplyStatus,
    PipelineRegistry,
    apply_lines,
    apply_pipelines,
    apply_summary,
    ensure_request_topics,
    load_pipeline_files,
    pipeline_summaries,
    summary_table,
)
from podium.triggers import trigger_lines

F = TypeVar("F", bound=Callable[..., Any])


def _topic_option(command: F) -> F:
    """The registry topic; hidden: only tests and unusual deployments change it."""
    return click.option("--topic", default=DEFAULT_TOPIC, show_default=True, hidden=True)(command)


@click.group(name="pipelines")
def group() -> None:
    """Pipeline definitions: validate YAML files, publish them, list what is published.

    Published definitions live on the compacted `podium.pipelines` topic, one
    record per name@version. A published version never changes: to change a
    pipeline, bump its `version`. Runs pin the version they started with.
    """


@group.command(name="validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[str, ...]) -> None:
    """Check pipeline files (or directories of *.yaml / *.yml) without publishing them.

    Prints "ok: FILE: name@version (N steps)" for each valid file, then one line
    per trigger (for an event trigger, where it starts: "from end", the default,
    takes events published after the trigger is first applied; "from beginning"
    or "from TIMESTAMP" replays the topic's history), the trigger rule steps start
    by (the default, all_done, and each step with another), and every problem, naming
    file, step and field, for the others. Exits 0 when all are
    valid and 1 otherwise. The step count and condition lengths are checked against
    PODIUM_LIMITS__MAX_STEPS and PODIUM_LIMITS__MAX_EXPRESSION_LENGTH.
    """
    limits = settings_from(ctx).limits
    files, problems = pipeline_files(paths)
    if not files and not problems:
        problems = [Problem("", "no *.yaml or *.yml files found", file=", ".join(paths))]
    found = []
    for file in files:
        pipeline, file_problems = check_file(file, limits)
        problems.extend(file_problems)
        if pipeline is not None and not file_problems:
            found.append((file, pipeline))
            steps = len(pipeline.steps)
            click.echo(f"ok: {file}: {pipeline.key} ({steps} step{'s' if steps != 1 else ''})")
            lines = [*admission_lines(pipeline), *trigger_lines(pipeline), *rule_lines(pipeline)]
            for line in lines:
                click.echo(f"  {line}")
    problems.extend(duplicate_keys(found))
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        count = len(problems)
        click.echo(f"{count} problem{'s' if count != 1 else ''} found", err=True)
    sys.exit(1 if problems else 0)


def admission_lines(pipeline: Pipeline) -> list[str]:
    """How its runs are admitted, when not all at once: the cap and the rate."""
    limits = []
    if pipeline.max_active_runs is not None:
        limits.append(f"at most {pipeline.max_active_runs} active")
    if (rate := pipeline.rate_limit) is not None:
        limits.append(f"at most {rate.runs_per_second:g} per second (burst {rate.burst})")
    return [f"runs start {', '.join(limits)}; the others wait queued"] if limits else []


def rule_lines(pipeline: Pipeline) -> list[str]:
    """The default trigger rule, then each step with another one."""
    default = Step.model_fields["trigger_rule"].default
    others = [step for step in pipeline.steps if step.trigger_rule is not default]
    head = f"steps start when {default.meaning} (trigger_rule {default}, the default)"
    if not others:
        return [head]
    lines = [f"{head}, except:"]
    for step in others:
        lines.append(
            f"  {step.name}: trigger_rule {step.trigger_rule} ({step.trigger_rule.meaning})"
        )
    return lines


@group.command(name="apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@_topic_option
@click.pass_context
def apply(ctx: click.Context, paths: tuple[str, ...], topic: str) -> None:
    """Publish pipeline files (or directories of *.yaml / *.yml) to the registry.

    Every file is validated first: one invalid file publishes nothing (exit 2). Then
    the request topic of every step (and compensation) that the cluster lacks is
    created ("created: topic ..."), with PODIUM_COORDINATOR__PARTITIONS partitions;
    existing topics are left as they are.
    Prints one line per pipeline: "published: NAME@VERSION HASH (FILE)",
    "unchanged: ..." when that exact content is already published, or
    "refused: ..." when NAME@VERSION is published with different content (bump
    `version` in the file). An apply is all or nothing: after any refusal
    nothing is published, the others read "held", and the exit status is 1.
    """
    settings = settings_from(ctx)
    pipelines, sources = load_pipeline_files(paths, settings.limits)
    partitions = settings.coordinator.partitions
    created = asyncio.run(ensure_request_topics(settings.client_kwargs(), pipelines, partitions))
    for action in created:
        click.echo(
            f"created: topic {action.topic} ({action.partitions} partitions, "
            f"replication {action.replication_factor})"
        )
    apply = apply_pipelines(
        settings.client_kwargs(), pipelines, topic=topic, sources=sources, limits=settings.limits
    )
    results = asyncio.run(apply)
    for line in apply_lines(results):
        click.echo(line)
    click.echo(apply_summary(results))
    if any(r.status is ApplyStatus.REFUSED for r in results):
        ctx.exit(1)


@group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per pipeline).")
@_topic_option
@click.pass_context
def list_command(ctx: click.Context, as_json: bool, topic: str) -> None:
    """Show the published pipelines: name, versions, latest version, its step
    count, content hash and publication time (UTC).
    """
    summaries, skipped = asyncio.run(_read(settings_from(ctx).client_kwargs(), topic))
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
    elif summaries:
        for line in summary_table(summaries):
            click.echo(line)
    else:
        click.echo(f"no pipelines published on {topic}: publish with `podium pipelines apply`")
    if skipped:
        click.echo(f"warning: {skipped} unreadable registry record(s) skipped", err=True)


async def _read(kwargs: dict[str, Any], topic: str) -> tuple[list[dict[str, Any]], int]:
    async with PipelineRegistry(kwargs, topic, follow=False) as registry:
        return pipeline_summaries(registry.list(), registry.pause), registry.stats.skipped
