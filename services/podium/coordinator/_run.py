"""Starting the coordinator: check the topics, then hand the process to faust's worker."""

from __future__ import annotations

import asyncio
from pathlib import Path

from podium.errors import ConfigError
from podium.settings import PodiumSettings
from podium.topics import open_topic_admin


def copartition_problems(partitions: dict[str, int | None], expected: int) -> list[str]:
    """What is wrong with the run-keyed topics' partition counts (pure)."""
    problems = []
    for topic, count in sorted(partitions.items()):
        if count is None:
            problems.append(f"{topic}: missing (run `podium topics apply`)")
        elif count != expected:
            problems.append(f"{topic}: {count} partitions, expected {expected}")
    return problems


async def check_topics(settings: PodiumSettings) -> None:
    """Refuse to start unless every run-keyed topic has the table's partition count."""
    topics = settings.topics
    # admissions is keyed by pipeline name, but its table has the same partition count
    names = [topics.runs, topics.step_results, topics.timers, topics.admissions]
    changelog = f"{settings.coordinator.app_id}-runs-changelog"
    async with open_topic_admin(settings.client_kwargs()) as admin:
        state = await admin.describe([*names, changelog])
    counts: dict[str, int | None] = {
        name: state.topics[name].partitions if name in state.topics else None for name in names
    }
    if changelog in state.topics:  # faust creates it on first start
        counts[changelog] = state.topics[changelog].partitions
    problems = copartition_problems(counts, settings.coordinator.partitions)
    if problems:
        raise ConfigError(
            "the coordinator's topics must be co-partitioned with its runs table "
            f"({settings.coordinator.partitions} partitions, PODIUM_COORDINATOR__PARTITIONS): "
            + "; ".join(problems)
        )


def run_coordinator(settings: PodiumSettings, *, datadir: Path | None = None) -> None:
    """Run until stopped (SIGTERM/SIGINT); faust exits the process when done."""
    import faust

    from podium.coordinator._app import Coordinator

    asyncio.run(check_topics(settings))
    coordinator = Coordinator(settings, datadir=datadir)
    worker = faust.Worker(coordinator.app, loglevel="WARNING", quiet=True)
    worker.execute_from_commandline()
