"""`podium bench --smoke` end to end: processes, fresh topics, every run succeeds, JSON out.

Never a speed threshold: CI machines differ. It checks that the benchmark completes,
that every run succeeded, and that the JSON has every key with a sane value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

PERCENTILES = {"p50", "p95", "p99", "max"}
BENCH = [sys.executable, "-m", "podium", "bench"]
NICE = min(19, os.getpriority(os.PRIO_PROCESS, 0) + 3)
"""A little below this test's own priority, wherever CI runs it."""


def _bench(bootstrap: str, home: Path, output: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PODIUM_KAFKA__BOOTSTRAP_SERVERS=bootstrap, PODIUM_HOME=str(home))
    return subprocess.run(
        # a lower priority needs no privilege, so CI sees the setting take effect
        [*BENCH, "--smoke", "--coordinator-nice", str(NICE), "--output", str(output)],
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
    )


def _latency(value: object) -> None:
    assert isinstance(value, dict) and set(value) == PERCENTILES
    assert all(isinstance(v, int | float) and v >= 0 for v in value.values())
    assert value["p50"] <= value["p95"] <= value["p99"] <= value["max"]


async def test_smoke_benchmark_runs_every_run_to_success(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    output = tmp_path / "bench.json"
    done = _bench(kafka_bootstrap, tmp_path / "home", output)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3-step runs/s" in done.stdout and "kafka floor" in done.stdout
    result = json.loads(output.read_text())
    assert result["outcomes"]["all_succeeded"] is True
    assert result["outcomes"]["requested"] == result["outcomes"]["succeeded"] >= 100
    for key in (
        "runs_per_s",
        "floor_runs_per_s",
        "coordinator_cpu_us_per_event",
        "handler_cpu_us_per_event",
    ):
        assert isinstance(result[key], int | float) and result[key] > 0, key
    # the relay's few hundred records may take under one clock tick (10 ms) of CPU
    assert isinstance(result["floor_cpu_us_per_event"], int | float)
    assert result["floor_cpu_us_per_event"] >= 0
    for key in ("transition_ms", "run_latency_ms", "floor_transition_ms"):
        _latency(result[key])
    assert isinstance(result["chain40_overhead_ms_per_step"], int | float)
    # the floor's chain ran all its steps: each sleeps the chain's 10 ms
    floor_chain = result["repeats"][0]["detail"]["floor_chain_totals_ms"]
    assert len(floor_chain) == 1 and floor_chain[0] >= 5 * 10, floor_chain
    assert 10 < result["coordinator_peak_rss_mb"] < 4096
    mapped = result["map"]  # the map phase: one run of 200 no-op items
    assert mapped["items"] == 200 and mapped["seconds"] > 0 and mapped["items_per_s"] > 0
    assert mapped["coordinator_cpu_us_per_item"] >= 0
    assert 10 < mapped["coordinator_peak_rss_mb_after"] < 4096
    assert "map of 200 items: seconds" in done.stdout
    assert result["machine"]["cores"] >= 1 and result["settings"]["mode"] == "smoke"
    assert result["machine"]["cluster_topics_at_start"] >= 0
    assert result["settings"]["timestamps"] == "LogAppendTime"
    assert set(result["ratios"]) >= {"runs_per_s", "transition_p50", "cpu_per_event"}
    detail = result["repeats"][0]["detail"]
    assert detail["coordinator_nice"] == {"podium": NICE, "floor": NICE}
    assert f"coordinator and floor relay at nice {NICE}" in done.stdout
    _scheduling_profile(detail["scheduling_paced"])
    prefix = detail["topics_prefix"]
    assert not await _topics_named(kafka_bootstrap, prefix), "the benchmark left topics behind"
    assert not (tmp_path / "home" / "bench" / prefix).exists()


def _scheduling_profile(scheduling: dict[str, Any]) -> None:
    if not Path("/proc/self/schedstat").exists():  # a kernel without schedstats: no profile
        assert scheduling == {}
        return
    assert scheduling["processes"]["coordinator"]["on_cpu_cores"] > 0
    assert {"noop-a", "driver"} <= set(scheduling["processes"])
    assert 0 < scheduling["machine_busy_pct"] <= 100


async def _topics_named(bootstrap: str, prefix: str) -> list[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return [name for name in await admin.list_topics() if name.startswith(prefix)]
    finally:
        await admin.close()
