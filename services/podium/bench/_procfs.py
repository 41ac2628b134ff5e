"""A process's CPU time and peak memory from /proc (Linux): parse pure, read thin."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Usage:
    """CPU seconds (user + system) and peak resident memory so far (VmHWM, kB)."""

    cpu_s: float
    peak_rss_kb: int


def cpu_ticks(stat: str) -> int:
    """utime + stime (clock ticks) from a ``/proc/<pid>/stat`` line.

    The command name (field 2) is in parentheses and may hold spaces or ')', so
    fields are counted after the last ')': state is then field 3, utime 14, stime 15.
    """
    rest = stat[stat.rindex(")") + 2 :].split()
    return int(rest[11]) + int(rest[12])


def peak_rss_kb(status: str) -> int:
    """VmHWM (peak resident set, kB) from ``/proc/<pid>/status``; 0 when absent."""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def usage(pid: int, proc: Path = Path("/proc")) -> Usage:
    """The process's usage now; OSError when it is gone or /proc is missing."""
    ticks = cpu_ticks((proc / str(pid) / "stat").read_text())
    status = (proc / str(pid) / "status").read_text()
    return Usage(cpu_s=ticks / os.sysconf("SC_CLK_TCK"), peak_rss_kb=peak_rss_kb(status))
