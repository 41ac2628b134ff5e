"""Reading a process's CPU time and peak memory from /proc."""

from __future__ import annotations

import os
from pathlib import Path

from podium.bench import cpu_ticks, peak_rss_kb, usage

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
