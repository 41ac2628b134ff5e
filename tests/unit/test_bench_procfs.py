"""Reading a process's CPU time and peak memory from /proc."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import podium_bench as bench
from podium_bench import cpu_ticks, peak_rss_kb, usage

STAT = "4242 (podium coord) S 1 4242 4242 0 -1 4194560 5000 0 0 0 130 27 0 0 20 0 3 0"


def test_cpu_ticks_is_utime_plus_stime_even_with_spaces_in_the_name() -> None:
    assert cpu_ticks(STAT) == 130 + 27
    assert cpu_ticks(STAT.replace("(podium coord)", "(a) b)")) == 157


def test_peak_rss_is_vmhwm() -> None:
    assert peak_rss_kb("Name:\tpython\nVmHWM:\t  81234 kB\nVmRSS:\t 8000 kB\n") == 81234
    assert peak_rss_kb("Name:\tkthread\n") == 0


def test_usage_of_this_process_grows_with_work(tmp_path: Path) -> None:
    before = usage(os.getpid())
    sum(i * i for i in range(2_000_000))
    after = usage(os.getpid())
    assert after.cpu_s >= before.cpu_s and after.peak_rss_kb > 0


def test_schedstat_is_time_on_a_core_then_time_waiting_for_one() -> None:
    assert bench.parse_schedstat("4733884 128160 17\n") == bench.Sched(
        on_cpu_ns=4733884, waiting_ns=128160
    )


def test_a_process_sched_sums_its_threads(tmp_path: Path) -> None:
    for tid, line in (("7", "100 10 1"), ("8", "50 5 2")):
        (tmp_path / "42" / "task" / tid).mkdir(parents=True)
        (tmp_path / "42" / "task" / tid / "schedstat").write_text(line)
    assert bench.sched(42, tmp_path) == bench.Sched(150, 15)
    with pytest.raises(OSError):
        bench.sched(43, tmp_path)


def test_busy_cpu_leaves_out_idle_and_iowait_and_guest_is_not_counted_twice() -> None:
    line = "cpu  100 5 50 800 40 3 2 0 30 0"
    assert bench.parse_cpu_line(line) == bench.CpuTicks(busy=100 + 5 + 50 + 3 + 2, total=1000)


def test_this_process_and_machine_advance_while_it_works() -> None:
    if not Path("/proc/self/schedstat").exists():
        pytest.skip("this kernel keeps no schedstats")  # the bench then reports no profile
    before, ticks = bench.sched(os.getpid()), bench.machine_ticks()
    sum(i * i for i in range(2_000_000))
    after, later = bench.sched(os.getpid()), bench.machine_ticks()
    assert after.on_cpu_ns > before.on_cpu_ns and later.busy > ticks.busy


def test_a_snapshot_names_each_process_and_reads_the_machine(tmp_path: Path) -> None:
    (tmp_path / "42" / "task" / "42").mkdir(parents=True)
    (tmp_path / "42" / "task" / "42" / "schedstat").write_text("100 10 1")
    (tmp_path / "stat").write_text("cpu  100 5 50 800 40 3 2 0 30 0\ncpu0 1 2 3 4\n")
    snapshot = bench.sched_snapshot({"coordinator": 42}, tmp_path)
    assert snapshot.processes == {"coordinator": bench.Sched(100, 10)}
    assert snapshot.machine == bench.CpuTicks(busy=160, total=1000)
    with pytest.raises(OSError):
        bench.sched_snapshot({"gone": 43}, tmp_path)
