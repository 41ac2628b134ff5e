"""`podium dlq list | replay | stats`: look at dead letters and send them back.

Every command reads the DLQ topic from the beginning without a consumer group
(no offsets move). TOPIC may be a DLQ topic or the topic it is the twin of
(``podium.runs`` means ``podium.runs.dlq``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime

import click

from podium.cli._dlq_trace import linked_replay
from podium.cli._settings import settings_from
from podium.dlq import (
    DEFAULT_MAX_REPLAYS,
    DLQ_SUFFIX,
    DlqEntry,
    KafkaDeadLetters,
    Replay,
    Skip,
    count_by_reason,
    dlq_topic,
    dlq_topics,
    entry_json,
    entry_table,
    matches,
    plan_lines,
    read_dlq,
    read_dlqs,
    stats_json,
    stats_table,
)
from podium.runs import finished_runs_on
from podium.settings import PodiumSettings
from podium.tracing import traced_process

DEFAULT_LIMIT = 50


def dlq_name(topic: str) -> str:
    """``TOPIC`` as a DLQ topic name: itself when it ends in ``.dlq``, else its twin."""
    return topic if topic.endswith(DLQ_SUFFIX) else dlq_topic(topic)


@click.group(name="dlq")
def group() -> None:
    """Dead-letter queues: list, replay and count messages Podium could not process."""


@group.command(name="list")
@click.argument("topic")
@click.option("--reason", help="Only dead letters with this reason (e.g. unknown-pipeline).")
@click.option("--run", "run_id", metavar="ID", help="Only dead letters of this run.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show at most this many (the most recent).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_(
    ctx: click.Context,
    topic: str,
    reason: str | None,
    run_id: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show the dead letters of TOPIC: offset, reason, origin, age, run, step, error, preview."""
    settings = settings_from(ctx)
    entries, _ = asyncio.run(read_dlq(settings.client_kwargs(), dlq_name(topic)))
    shown = [e for e in entries if matches(e, reason=reason, run_id=run_id)][-limit:]
    now = datetime.now(UTC)
    if as_json:
        click.echo(json.dumps({"dead_letters": [entry_json(e, now) for e in shown]}, indent=2))
    elif shown:
        click.echo("\n".join(entry_table(shown, now)))
    else:
        click.echo(f"no dead letters in {dlq_name(topic)}" + (" match" if reason or run_id else ""))


@group.command()
@click.argument("topic")
@click.option("--reason", help="Only dead letters with this reason.")
@click.option("--run", "run_id", metavar="ID", help="Only dead letters of this run.")
@click.option(
    "--offset",
    "offsets",
    multiple=True,
    metavar="[PARTITION:]OFFSET",
    help="Only this DLQ offset (repeatable).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be replayed; send nothing.")
@click.option(
    "--max-replays",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_REPLAYS,
    show_default=True,
    help="Refuse messages already replayed this many times.",
)
@click.pass_context
def replay(
    ctx: click.Context,
    topic: str,
    reason: str | None,
    run_id: str | None,
    offsets: tuple[str, ...],
    dry_run: bool,
    max_replays: int,
) -> None:
    """Republish matching dead letters of TOPIC to their original topic.

    Each goes back with its original key, value and headers (minus the
    podium-dlq-* ones) and podium-replay-count one higher than before (acks=all).
    """
    settings = settings_from(ctx)
    with traced_process("podium-dlq") as tracing:  # each replay gets a linked span
        plan = asyncio.run(
            _replay(
                settings,
                dlq_name(topic),
                reason,
                run_id,
                offsets,
                dry_run,
                max_replays,
                traced=tracing is not None,
            )
        )
    click.echo("\n".join(plan_lines(plan, dry_run)) or "nothing matches")
    sent = sum(isinstance(step, Replay) for step in plan)
    refused = sum(isinstance(step, Skip) and step.kind == "refused" for step in plan)
    verb = "would replay" if dry_run else "replayed"
    click.echo(f"{verb} {sent}, skipped {len(plan) - sent - refused}, refused {refused}")


async def _replay(
    settings: PodiumSettings,
    topic: str,
    reason: str | None,
    run_id: str | None,
    offsets: Sequence[str],
    dry_run: bool,
    max_replays: int,
    traced: bool = False,
) -> list[Replay | Skip]:
    finished = finished_runs_on(settings.client_kwargs(), settings.topics.run_events)
    dead_letters = KafkaDeadLetters(settings.client_kwargs(), finished)
    return await dead_letters.replay(
        topic,
        lambda e: matches(e, reason=reason, run_id=run_id, offsets=offsets),
        dry_run=dry_run,
        max_replays=max_replays,
        prepare=linked_replay if traced else None,
    )


@group.command()
@click.argument("topics", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def stats(ctx: click.Context, topics: tuple[str, ...], as_json: bool) -> None:
    """Count dead letters by topic and reason, with the oldest's age.

    Without TOPICS: every topic on the cluster whose name ends in .dlq.
    """
    settings = settings_from(ctx)
    counts = count_by_reason(asyncio.run(_entries(settings, [dlq_name(t) for t in topics])))
    now = datetime.now(UTC)
    if as_json:
        click.echo(json.dumps({"counts": stats_json(counts, now)}, indent=2))
    else:
        click.echo("\n".join(stats_table(counts, now)) if counts else "no dead letters")


async def _entries(settings: PodiumSettings, topics: Sequence[str]) -> list[DlqEntry]:
    kwargs = settings.client_kwargs()
    return await read_dlqs(kwargs, list(topics) or await dlq_topics(kwargs))
