"""Cron triggers: every instance checks every schedule about once a second.

Each check looks for ticks in ``(last checked, now]`` (see ``cron_window`` for
the catch-up rule) and produces one RunRequested per tick with the tick's
deterministic run id. Several instances therefore produce the same run ids,
and the coordinator's idempotent start turns them into one run per tick: no
leader election, and a tick still runs when some instances are down. Only an
acknowledged check moves "last checked" forward, so a failed send is retried
on the next check (the same ids again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from aiokafka.errors import KafkaError

from podium.pipelines import Pipeline
from podium.triggers._cron import cron_window
from podium.triggers._events import RETRY_DELAY_S, wait_or_stop
from podium.triggers._plan import plan_cron_runs
from podium.triggers._send import RunSender, TriggerStats

log = logging.getLogger("podium.triggers")


class CronTriggers:
    """The cron half of the TriggerRunner."""

    def __init__(
        self,
        sender: RunSender,
        pipelines: Callable[[], list[Pipeline]],
        *,
        clock: Callable[[], datetime],
        stats: TriggerStats,
        catch_up: timedelta,
        interval_s: float,
    ) -> None:
        self.sender = sender
        self.pipelines = pipelines
        self.clock = clock
        self.stats = stats
        self.catch_up = catch_up
        self.interval_s = interval_s
        self.checked_until: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Check the schedules every ``interval_s`` until ``stop`` is set."""
        while not stop.is_set():
            try:
                await self.check()
            except KafkaError as exc:
                self.stats.unsent += 1
                log.warning("sending cron runs failed, retrying on the next check: %s", exc)
                await wait_or_stop(stop, RETRY_DELAY_S)
            except Exception:
                self.stats.errors += 1
                log.exception("cron trigger check failed; retrying")
            await wait_or_stop(stop, self.interval_s)

    async def check(self) -> None:
        """Produce the runs of every tick since the last check; raises KafkaError if unsent."""
        now = self.clock()
        after, until = cron_window(self.checked_until, now, self.catch_up)
        plan = plan_cron_runs(self.pipelines(), after, until, now)
        for rejected in plan.rejected:
            self.stats.rejected += 1
            log.error("cron trigger not started: %s", rejected)
        self.stats.cron_runs += await self.sender.send_runs(plan.runs, {})
        self.checked_until = until
