"""A process's scheduling priority (its nice value), set at start.

Every run passes through the coordinator, one event at a time; the step services work
in parallel and each sees a third of the hops. On a machine they share, the kernel gives
each runnable process an equal turn, so a busy coordinator waits for a core while
services run (the benchmark measured the coordinator runnable-but-waiting for as long
as it ran at 70% load). A lower nice makes the kernel serve it first. Raising priority
(a negative nice) needs CAP_SYS_NICE or a raised RLIMIT_NICE; without either the
process keeps its priority and says so.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

log = logging.getLogger("podium")

NICE_MIN, NICE_MAX = -20, 19

BENCH_COORDINATOR_NICE = -10
"""``podium bench``'s default nice for the coordinator (here, so its CLI option needs no
import of the benchmark package until the command runs)."""


@dataclass(frozen=True, slots=True)
class NiceOutcome:
    """What ``set_nice`` asked for and what the process runs at now."""

    requested: int
    effective: int
    refused: str | None = None
    """Why the kernel refused (None: it did not)."""


def set_nice(nice: int, who: str) -> NiceOutcome:
    """Set this process's nice to ``nice`` before it starts threads (on Linux the value is
    per thread, inherited by threads started later); a refusal is logged, not raised."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except PermissionError as exc:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        log.warning(
            "%s: could not set nice %d (%s); it runs at nice %d. Raising priority needs "
            "CAP_SYS_NICE or a raised RLIMIT_NICE (ulimit -e)",
            who,
            nice,
            exc.strerror,
            current,
        )
        return NiceOutcome(nice, current, exc.strerror or "permission denied")
    return NiceOutcome(nice, os.getpriority(os.PRIO_PROCESS, 0))


def nice_of(pid: int) -> int | None:
    """The nice value of process ``pid``'s main thread; None when it is gone."""
    try:
        return os.getpriority(os.PRIO_PROCESS, pid)
    except (ProcessLookupError, PermissionError):
        return None
