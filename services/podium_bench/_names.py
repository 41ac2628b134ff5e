"""One benchmark run's names (fresh topics, groups) and its children's environment (pure)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from podium.settings import TopicNames
from podium_bench._kafka import LOG_APPEND_TIME, TopicSpec
from podium_bench.services import step_topic

FLOOR_CHAIN_ROLES = ("start", "requests", "results", "done")


@dataclass(frozen=True)
class Names:
    """Every topic, group and app id of one run starts with ``prefix``."""

    prefix: str

    @classmethod
    def new(cls) -> Names:
        return cls(f"podium-bench-{uuid.uuid4().hex[:10]}")

    @property
    def topics(self) -> TopicNames:
        return TopicNames(**{name: f"{self.prefix}.{name}" for name in TopicNames.model_fields})

    @property
    def app_id(self) -> str:
        return f"{self.prefix}-coordinator"

    def step(self, service: str) -> str:
        return step_topic(self.prefix, service)

    def floor(self, index: int) -> str:
        return f"{self.prefix}.floor.{index}"

    def podium_specs(self, partitions: int, services: list[str]) -> list[TopicSpec]:
        """Podium's topics and the services' request topics, all with broker timestamps;
        the run-keyed ones co-partitioned with the coordinator's table."""
        t = self.topics
        keyed = [t.runs, t.step_results, t.run_events, t.timers, t.admissions]
        keyed += [self.step(service) for service in services]
        specs = [TopicSpec(name, partitions) for name in keyed]
        compacted = {**LOG_APPEND_TIME, "cleanup.policy": "compact"}
        return [
            *specs,
            TopicSpec(t.pipelines, 1, compacted),
            TopicSpec(t.map_pages, partitions, compacted),
        ]

    def floor_chain(self, role: str) -> str:
        """The floor chain's topics: ``start``, ``requests``, ``results``, ``done``."""
        return f"{self.prefix}.floor.chain.{role}"

    def floor_specs(self, count: int, partitions: int) -> list[TopicSpec]:
        hops = [self.floor(index) for index in range(count)]
        chain = [self.floor_chain(role) for role in FLOOR_CHAIN_ROLES]
        return [TopicSpec(name, partitions) for name in [*hops, *chain]]


def child_env(
    base: Mapping[str, str],
    names: Names,
    *,
    bootstrap: str,
    home: Path,
    partitions: int,
    sleep_ms: float,
) -> dict[str, str]:
    """The environment of the coordinator, services and relays of one run: the caller's
    (client security settings pass through), pointed at the run's topics and folder."""
    env = dict(base)
    env.update(
        PODIUM_HOME=str(home),
        PODIUM_KAFKA__BOOTSTRAP_SERVERS=bootstrap,
        PODIUM_COORDINATOR__APP_ID=names.app_id,
        PODIUM_COORDINATOR__PARTITIONS=str(partitions),
        PODIUM_BENCH_PREFIX=names.prefix,
        PODIUM_BENCH_SLEEP_MS=str(sleep_ms),
    )
    for field, topic in names.topics.model_dump().items():
        env[f"PODIUM_TOPICS__{field.upper()}"] = topic
    return env


def environment() -> dict[str, str]:
    """This process's environment (the adapter's only read of it)."""
    return dict(os.environ)
