"""Starting the coordinator: check the topics, create the tables' changelogs, serve."""

from __future__ import annotations

import asyncio
import logging

from podium._priority import set_nice
from podium._signals import stop_on_signals
from podium.coordinator._spans import SpanStarter
from podium.errors import BrokerError, ConfigError
from podium.metrics import serve_metrics
from podium.settings import PodiumSettings
from podium.streams import changelog_topic
from podium.topics import CreateTopic, open_topic_admin
from podium.tracing import traced_process

log = logging.getLogger("podium.coordinator")
VISIBLE_TIMEOUT_S = 30.0

TABLES = ("runs", "admissions")
"""The coordinator's tables: each has a changelog with the inputs' partition count."""


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
    changelogs = [changelog_topic(settings.coordinator.app_id, table) for table in TABLES]
    async with open_topic_admin(settings.client_kwargs()) as admin:
        state = await admin.describe([*names, *changelogs])
    counts: dict[str, int | None] = {
        name: state.topics[name].partitions if name in state.topics else None for name in names
    }
    for changelog in changelogs:  # created on the first start; a store per partition
        if changelog in state.topics:
            counts[changelog] = state.topics[changelog].partitions
    problems = copartition_problems(counts, settings.coordinator.partitions)
    if problems:
        raise ConfigError(
            "the coordinator's topics must be co-partitioned with its runs table "
            f"({settings.coordinator.partitions} partitions, PODIUM_COORDINATOR__PARTITIONS): "
            + "; ".join(problems)
        )


def run_coordinator(settings: PodiumSettings) -> None:
    """Run until SIGTERM or SIGINT; then commit what is processed and leave the group."""
    if settings.coordinator.nice is not None:  # before any thread starts: they inherit it
        outcome = set_nice(settings.coordinator.nice, "coordinator")
        log.info("coordinator runs at nice %d", outcome.effective)
    with traced_process("podium-coordinator") as tracing:  # the trigger runner's too
        asyncio.run(_serve(settings, tracing))


async def _serve(settings: PodiumSettings, tracing: SpanStarter | None) -> None:
    from podium.coordinator._app import Coordinator

    await check_topics(settings)
    coordinator = Coordinator(settings, tracing=tracing)
    changelogs = [coordinator.runs.changelog, coordinator.admissions.changelog]
    await ensure_changelogs(settings, changelogs)
    conf = settings.coordinator
    server = None
    if conf.metrics_port is not None:
        registry = coordinator.metrics_registry
        server = serve_metrics(registry, conf.metrics_port, conf.metrics_host, what="coordinator")
    try:
        with stop_on_signals() as stop:
            await coordinator.run(stop)
    finally:
        if server is not None:
            server.close()


async def ensure_changelogs(settings: PodiumSettings, names: list[str]) -> None:
    """Create the tables' changelog topics (compacted, one partition per table partition)
    when missing, replicated on up to three brokers; return once the cluster's metadata
    shows them all."""
    async with open_topic_admin(settings.client_kwargs()) as admin:
        state = await admin.describe(names)
        missing = [name for name in names if name not in state.topics]
        for name in missing:
            log.info("creating changelog topic %s", name)
            action = CreateTopic(
                topic=name,
                partitions=settings.coordinator.partitions,
                replication_factor=min(3, state.broker_count),
                configs={"cleanup.policy": "compact"},
            )
            await admin.create(action, exists_ok=True)  # another instance may be first
        # A created topic (or "already exists" from a racing instance) can be missing from
        # the metadata for a while on a busy broker: the engine must not start before it.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + VISIBLE_TIMEOUT_S
        while missing:
            missing = [n for n in missing if n not in (await admin.describe(missing)).topics]
            if missing and loop.time() > deadline:
                raise BrokerError(
                    f"changelog topics created but not visible after {VISIBLE_TIMEOUT_S:.0f}s: "
                    f"{', '.join(missing)}; check the brokers (`podium broker logs`)",
                    retryable=True,
                )
            if missing:
                await asyncio.sleep(0.1)
