"""The benchmark's step services, run as ``podium service podium_bench.services:noop_a`` ...

Topic names and group ids come from ``PODIUM_BENCH_PREFIX`` (set by ``podium bench`` for
its fresh topics); ``PODIUM_BENCH_SLEEP_MS`` is how long a ``sleeper`` step sleeps.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from podium.service import Service, StepContext

PREFIX = os.environ.get("PODIUM_BENCH_PREFIX", "podium.bench")
SLEEP_S = float(os.environ.get("PODIUM_BENCH_SLEEP_MS", "10")) / 1000


def step_topic(prefix: str, service: str) -> str:
    """The request topic of bench service ``service`` under ``prefix``."""
    return f"{prefix}.steps.{service}"


def _service(name: str) -> Service:
    return Service(name, request_topic=step_topic(PREFIX, name), group_id=f"{PREFIX}-{name}")


noop_a = _service("noop-a")
noop_b = _service("noop-b")
noop_c = _service("noop-c")
sleeper = _service("sleep")


@noop_a.default
@noop_b.default
@noop_c.default
async def noop(input: Any, ctx: StepContext) -> dict[str, Any]:
    """Does nothing: what is measured is everything around it."""
    return {}


@sleeper.default
async def sleep(input: Any, ctx: StepContext) -> dict[str, Any]:
    await asyncio.sleep(SLEEP_S)
    return {}
