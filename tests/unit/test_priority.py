"""A process's nice value: set at start, refusals reported rather than raised."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from podium._priority import nice_of, set_nice
from podium.settings import CoordinatorSettings


def test_a_process_can_always_lower_its_own_priority() -> None:
    # in a child: a nice value cannot be taken back without privilege
    code = "from podium._priority import set_nice; print(set_nice(19, 'child').effective)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "19"


def test_a_refused_priority_is_logged_and_the_process_runs_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(which: int, who: int, value: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "setpriority", refuse)
    with caplog.at_level(logging.WARNING, logger="podium"):
        outcome = set_nice(-10, "coordinator")
    assert outcome.requested == -10
    assert outcome.effective == os.getpriority(os.PRIO_PROCESS, 0)
    assert outcome.refused == "Operation not permitted"
    assert "coordinator: could not set nice -10" in caplog.text and "CAP_SYS_NICE" in caplog.text


def test_the_nice_of_a_process_that_is_gone_is_none() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert nice_of(child.pid) is None
    assert nice_of(os.getpid()) == os.getpriority(os.PRIO_PROCESS, 0)


def test_the_coordinator_nice_is_unset_by_default_and_must_be_a_nice_value() -> None:
    assert CoordinatorSettings().nice is None
    assert CoordinatorSettings(nice=-10).nice == -10
    with pytest.raises(ValidationError, match="nice"):
        CoordinatorSettings(nice=-21)
    with pytest.raises(ValidationError, match="nice"):
        CoordinatorSettings(nice=20)
