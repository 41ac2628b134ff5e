"""The readiness probe, without a broker: a closed port is a quick "no"."""

from __future__ import annotations

import time

from podium.broker._ports import free_port
from podium.broker._probe import broker_answers, run_blocking


async def _one() -> int:
    return 1


def test_a_port_nobody_listens_on_does_not_answer() -> None:
    began = time.monotonic()
    assert broker_answers(f"127.0.0.1:{free_port()}", timeout=2) is False
    assert time.monotonic() - began < 5


def test_run_blocking_outside_an_event_loop() -> None:
    assert run_blocking(_one()) == 1


async def test_run_blocking_inside_a_running_event_loop() -> None:
    assert run_blocking(_one()) == 1  # LocalBroker.start() may be called from async code
