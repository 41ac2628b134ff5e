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


@dataclass(frozen=True, slots=True)
class Sched:
    """Time a process's threads ran on a core, and waited runnable for one (ns)."""

    on_cpu_ns: int
    waiting_ns: int


def parse_schedstat(text: str) -> Sched:
    """``/proc/<pid>/task/<tid>/schedstat``: on-CPU ns, run-queue wait ns, timeslices."""
    on_cpu, waiting, *_ = text.split()
    return Sched(int(on_cpu), int(waiting))


def sched(pid: int, proc: Path = Path("/proc")) -> Sched:
    """The process's threads summed; OSError when it is gone or the kernel keeps no
    schedstats (CONFIG_SCHED_INFO)."""
    threads = [
        parse_schedstat(path.read_text()) for path in (proc / str(pid) / "task").glob("*/schedstat")
    ]
    if not threads:
        raise OSError(f"no schedstat for process {pid}")
    return Sched(sum(t.on_cpu_ns for t in threads), sum(t.waiting_ns for t in threads))


@dataclass(frozen=True, slots=True)
class CpuTicks:
    """The machine's CPU time since boot, all cores (clock ticks): busy, and in all."""

    busy: int
    total: int


def parse_cpu_line(line: str) -> CpuTicks:
    """The ``cpu`` line of ``/proc/stat``; idle and iowait count as not busy, and guest time
    is already inside user and nice, so it is not added twice."""
    fields = [int(value) for value in line.split()[1:]]
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return CpuTicks(busy=total - fields[3] - fields[4], total=total)


def machine_ticks(proc: Path = Path("/proc")) -> CpuTicks:
    return parse_cpu_line((proc / "stat").read_text().splitlines()[0])


@dataclass(frozen=True, slots=True)
class SchedSnapshot:
    """Named processes' scheduling times and the machine's CPU ticks, at one moment."""

    processes: dict[str, Sched]
    machine: CpuTicks


def sched_snapshot(pids: dict[str, int], proc: Path = Path("/proc")) -> SchedSnapshot:
    """OSError when a process is gone or the kernel keeps no schedstats."""
    processes = {name: sched(pid, proc) for name, pid in pids.items()}
    return SchedSnapshot(processes, machine_ticks(proc))
