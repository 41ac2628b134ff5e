"""Driving runs: a window of runs in flight (throughput) or a steady pace (latency).

``Completions`` is fed by a follower of the topic where finished runs show up
and tells the driver when to start more. A phase fails (``BenchStalled``) when
no run finished for ``stall_s`` seconds, or when ``check`` (are the children
alive?) raises: a benchmark never hangs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence

from podium.errors import PodiumError
from podium_bench._figures import schedule

Send = Callable[[str], Awaitable[object]]
"""Starts the run with this id (returns once the trigger is on Kafka)."""


class BenchStalled(PodiumError):
    """No run finished for too long, or a trigger could not be sent."""


class Completions:
    """The runs the driver waits for, and how those that finished ended."""

    def __init__(self, stall_s: float, check: Callable[[], None] = lambda: None) -> None:
        self.stall_s = stall_s
        self.check = check
        self.pending: set[str] = set()
        self.succeeded = 0
        self.failed: dict[str, str] = {}
        self.error: BaseException | None = None
        self._changed = asyncio.Event()
        self._progress = time.monotonic()

    def expect(self, run_id: str) -> None:
        self.pending.add(run_id)

    def finish(self, run_id: str, status: str) -> None:
        """A run ended with ``status``; runs not expected (or already counted) are ignored."""
        if run_id not in self.pending:
            return
        self.pending.discard(run_id)
        if status == "SUCCEEDED":
            self.succeeded += 1
        else:
            self.failed[run_id] = status
        self._progress = time.monotonic()
        self._changed.set()

    def sent(self, task: asyncio.Task[object]) -> None:
        """Done callback of a send: its error fails the phase."""
        if not task.cancelled() and task.exception() is not None and self.error is None:
            self.error = task.exception()
            self._changed.set()

    async def wait_until_at_most(self, count: int) -> None:
        """Return once ``count`` or fewer runs are pending."""
        while len(self.pending) > count:
            self._raise_if_stuck()
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=0.5)
            except TimeoutError:
                continue

    def _raise_if_stuck(self) -> None:
        if self.error is not None:
            raise BenchStalled(f"a run could not be triggered: {self.error}") from self.error
        self.check()
        idle = time.monotonic() - self._progress
        if idle > self.stall_s:
            raise BenchStalled(
                f"no run finished for {idle:.0f}s with {len(self.pending)} still running"
            )


class Driver:
    """Starts runs through ``send`` and waits for them through ``completions``."""

    def __init__(self, send: Send, completions: Completions) -> None:
        self.send = send
        self.completions = completions
        self._tasks: set[asyncio.Task[object]] = set()

    def _start(self, run_id: str) -> None:
        self.completions.expect(run_id)
        task: asyncio.Task[object] = asyncio.ensure_future(self.send(run_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self.completions.sent)

    async def windowed(self, run_ids: Sequence[str], window: int) -> float:
        """Start runs keeping at most ``window`` in flight; seconds until the last finished."""
        started = time.monotonic()
        for run_id in run_ids:
            await self.completions.wait_until_at_most(window - 1)
            self._start(run_id)
        await self.completions.wait_until_at_most(0)
        return time.monotonic() - started

    async def paced(self, run_ids: Sequence[str], rate: float) -> float:
        """Start runs evenly at ``rate`` per second, wait for all; returns how late the
        latest start was (seconds), so a driver that could not keep the pace shows."""
        loop = asyncio.get_running_loop()
        started, late = loop.time(), 0.0
        for run_id, offset in zip(run_ids, schedule(len(run_ids), rate), strict=True):
            delay = started + offset - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            late = max(late, -delay)
            self._start(run_id)
        await self.completions.wait_until_at_most(0)
        return late
