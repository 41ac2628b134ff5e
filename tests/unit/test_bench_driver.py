"""Driving runs without Kafka: a window in flight, a steady pace, and never a hang."""

from __future__ import annotations

import asyncio

import pytest

from podium_bench import BenchStalled, Completions, Driver


class FakePodium:
    """Finishes each run ``delay`` seconds after it was sent; counts what is in flight."""

    def __init__(self, completions: Completions, delay: float = 0.001, status: str = "SUCCEEDED"):
        self.completions, self.delay, self.status = completions, delay, status
        self.in_flight = self.most_in_flight = 0
        self.sent_at: list[float] = []

    async def send(self, run_id: str) -> None:
        self.sent_at.append(asyncio.get_running_loop().time())
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        asyncio.get_running_loop().call_later(self.delay, self._finish, run_id)

    def _finish(self, run_id: str) -> None:
        self.in_flight -= 1
        self.completions.finish(run_id, self.status)


async def test_the_window_bounds_runs_in_flight_and_all_finish() -> None:
    completions = Completions(stall_s=5)
    podium = FakePodium(completions)
    seconds = await Driver(podium.send, completions).windowed([f"r{i}" for i in range(60)], 8)
    assert podium.most_in_flight == 8 and completions.succeeded == 60 and seconds > 0


async def test_paced_runs_start_at_the_rate() -> None:
    completions = Completions(stall_s=5)
    podium = FakePodium(completions)
    late = await Driver(podium.send, completions).paced([f"r{i}" for i in range(20)], 200)
    spread = podium.sent_at[-1] - podium.sent_at[0]
    assert spread == pytest.approx(19 / 200, abs=0.03) and late < 0.05


async def test_failed_runs_are_counted_not_hidden() -> None:
    completions = Completions(stall_s=5)
    podium = FakePodium(completions, status="FAILED")
    await Driver(podium.send, completions).windowed(["r1", "r2"], 2)
    assert completions.succeeded == 0 and completions.failed == {"r1": "FAILED", "r2": "FAILED"}


async def test_a_run_that_never_finishes_fails_the_phase() -> None:
    completions = Completions(stall_s=0.3)

    async def lost(run_id: str) -> None:
        return None

    with pytest.raises(BenchStalled, match="no run finished"):
        await Driver(lost, completions).windowed(["r1"], 1)


async def test_a_trigger_that_cannot_be_sent_fails_the_phase() -> None:
    completions = Completions(stall_s=5)

    async def broken(run_id: str) -> None:
        raise OSError("broker gone")

    with pytest.raises(BenchStalled, match="broker gone"):
        await Driver(broken, completions).windowed(["r1"], 1)


async def test_a_dead_child_fails_the_phase_at_once() -> None:
    def check() -> None:
        raise BenchStalled("coordinator exited with status 1")

    completions = Completions(stall_s=60, check=check)

    async def lost(run_id: str) -> None:
        return None

    with pytest.raises(BenchStalled, match="coordinator exited"):
        await asyncio.wait_for(Driver(lost, completions).windowed(["r1"], 1), timeout=5)
