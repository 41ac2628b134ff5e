"""What every phase of one benchmark run shares."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium.codec import Codec
from podium.settings import PodiumSettings
from podium_bench._names import Names, child_env, environment
from podium_bench._plan import Plan

Progress = Callable[[str], None]


@dataclass
class Context:
    settings: PodiumSettings
    plan: Plan
    progress: Progress
    names: Names = field(default_factory=Names.new)
    codec: Codec = field(default_factory=Codec)

    @property
    def kwargs(self) -> dict[str, Any]:
        return self.settings.client_kwargs()

    @property
    def work(self) -> Path:
        """This run's folder: the children's PODIUM_HOME and logs."""
        return self.settings.home / "bench" / self.names.prefix

    def env(self) -> dict[str, str]:
        return child_env(
            environment(),
            self.names,
            bootstrap=self.settings.bootstrap_servers(),
            home=self.work,
            partitions=self.plan.partitions,
            sleep_ms=self.plan.chain_sleep_ms,
        )


def run_ids(phase: str, count: int) -> list[str]:
    """Fresh run ids, named after their phase (readable in logs and on the topics)."""
    return [f"{phase}-{index:05d}-{uuid.uuid4().hex[:12]}" for index in range(count)]
