"""``deploy/bench_dashboard.py`` still runs end to end: a small read model, every case timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "bench_dashboard.py"


def test_the_dashboard_benchmark_times_every_case_idle_and_under_load(tmp_path: Path) -> None:
    output = tmp_path / "dashboard.json"
    command = [sys.executable, str(SCRIPT), "--runs", "600", "--rounds", "1", "--requests", "2"]
    subprocess.run([*command, "--output", str(output)], check=True, timeout=90, capture_output=True)
    body = json.loads(output.read_text())
    assert body["runs"] == 600 and body["events"] > 600
    cases = {"runs_first_page", "runs_deep_page", "runs_search_id", "run_one", "pipelines"}
    for phase in ("idle_ms", "under_load_ms"):
        assert cases <= set(body[phase])
        assert all(f["p50"] > 0 and f["p95"] >= f["p50"] for f in body[phase].values())
    assert body["load"]["runs_per_s"] > 0
