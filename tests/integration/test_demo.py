"""`podium demo --once` end to end on the test broker, run as a user runs it.

The demo uses Podium's real topic names (the example pipeline names them), so on
a shared broker it gets a fresh coordinator group id, from which its services'
groups derive, and follows only its own run. Each test checks that no process
the demo started outlives it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from podium.testing import wait_until_sync
from tests.integration.e2e.browser import Browser

DEMO_TIMEOUT_S = 90
STEPS = ("validate", "aggregate", "profile", "load", "archived", "publish", "notify")


@dataclass(frozen=True)
class Finished:
    status: int
    output: str
    home: Path

    @property
    def run_id(self) -> str:
        found = re.search(r"published: FileLanded on \S+ -> run (\S+)", self.output)
        assert found, self.output
        return found.group(1)

    def step_succeeded(self, step: str) -> bool:
        row = rf"^\d\d:\d\d:\d\d\.\d{{3}}\s+{step}\s+SUCCEEDED\s+#1\b"
        return re.search(row, self.output, re.MULTILINE) is not None


def leftovers(home: Path) -> list[int]:
    """Processes started for this demo: their environment names its PODIUM_HOME."""
    marker = f"PODIUM_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
            except OSError:  # gone meanwhile, or not ours to read
                continue
            if marker in environ:
                found.append(int(entry.name))
    return found


@dataclass
class Demo:
    """Runs `python -m podium demo ARGS` in an empty folder, its output in a file."""

    env: dict[str, str]
    home: Path
    cwd: Path
    python: str = sys.executable

    def start(self, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        command = [self.python, "-m", "podium", "demo", "--timeout", "60", *args]
        output = self.cwd.parent / f"output-{uuid.uuid4().hex[:6]}.txt"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                command, env=self.env, cwd=self.cwd, stdout=sink, stderr=subprocess.STDOUT
            )
        return process, output

    def once(self, *args: str) -> Finished:
        process, output = self.start("--once", *args)
        return self.finish(process, output)

    def finish(self, process: subprocess.Popen[bytes], output: Path) -> Finished:
        try:
            process.wait(timeout=DEMO_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()  # its children get SIGTERM from the kernel (PDEATHSIG)
            process.wait()
            pytest.fail(f"the demo did not end within {DEMO_TIMEOUT_S}s:\n{output.read_text()}")
        assert os.listdir(self.cwd) == [], "the demo wrote into the current folder"
        return Finished(process.returncode, output.read_text(), self.home)


@pytest.fixture
def demo(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Demo]:
    """A demo with its own home and groups on the test broker; kills anything left after."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    env = dict(os.environ)
    env.update(
        PODIUM_HOME=str(home),
        PODIUM_KAFKA__BOOTSTRAP_SERVERS=kafka_bootstrap,
        PODIUM_COORDINATOR__APP_ID=f"demo-test-{uuid.uuid4().hex[:10]}",
    )
    try:
        yield Demo(env, home, cwd)
    finally:
        for pid in leftovers(home):
            os.kill(pid, signal.SIGKILL)


def test_the_demo_runs_the_example_pipeline_and_shows_what_it_produced(demo: Demo) -> None:
    done = demo.once()
    assert done.status == 0, done.output
    assert all(done.step_succeeded(step) for step in STEPS), done.output
    run_id = done.run_id
    assert f"run {run_id} SUCCEEDED" in done.output
    assert re.search(rf"curl http://127\.0\.0\.1:\d+/v1/runs/{run_id}", done.output)
    assert not leftovers(done.home), "a process the demo started is still running"

    out = done.home / "demo" / "out"
    sums = json.loads((out / run_id / "aggregate.json").read_text())["sums"]
    assert sorted(sums) == ["east", "north", "south", "west"]
    assert json.loads((out / run_id / "profile.json").read_text())["rows"] == 20
    # the archive job, which knows nothing of Podium, archived the file and its own event
    # completed `archived`; the demo approved `publish` through the API
    assert len(list((out / "archive").glob("*.csv"))) == 1
    approved = (
        rf"approval: POST http://127\.0\.0\.1:\d+/v1/runs/{run_id}/steps/publish/approve -> 202"
    )
    assert re.search(approved, done.output), done.output
    with closing(sqlite3.connect(out / "warehouse.sqlite")) as db:
        query = "SELECT grp, total FROM sales_totals WHERE run_id = ? ORDER BY grp"
        rows = db.execute(query, (run_id,)).fetchall()
    assert [group for group, _ in rows] == sorted(sums)
    notices = (out / "notifications.log").read_text().splitlines()
    assert any(f"run={run_id} " in line and "rows_loaded=4" in line for line in notices)
    assert f"run={run_id} pipeline=file-ingest rows_loaded=4" in done.output


def test_a_failing_run_exits_1_with_the_steps_error_and_its_log(demo: Demo, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,region,amount\n1,north,12.5\n2,south,lots\n")
    done = demo.once("--file", str(bad))
    assert done.status == 1, done.output
    assert re.search(r"failed step: validate: NonRetryableError: .*non-numeric", done.output)
    assert "validate.log:" in done.output and "e.g. line 3" in done.output
    assert not (done.home / "demo" / "out" / done.run_id / "aggregate.json").exists()
    wait_until_sync(lambda: not leftovers(done.home), timeout=1, what="no process left")


def test_without_once_it_serves_the_api_until_ctrl_c_then_stops_its_processes(
    demo: Demo,
) -> None:
    process, output = demo.start("--prometheus")

    def waiting() -> str | None:
        text = output.read_text()
        return text if "Ctrl-C stops" in text or process.poll() is not None else None

    text = wait_until_sync(waiting, timeout=DEMO_TIMEOUT_S, what="the demo to run and wait")
    assert process.poll() is None, text
    run_url = re.search(r"curl (http://\S+/v1/runs/\S+)", text)
    assert run_url, text
    with urllib.request.urlopen(run_url.group(1), timeout=10) as response:
        assert json.load(response)["status"] == "SUCCEEDED"
    dashboard = re.search(r"dashboard: (http://\S+/#/run/(\S+))", text)
    assert dashboard, text
    assert shows_the_run(dashboard.group(1), dashboard.group(2)) == ["SUCCEEDED"] * len(STEPS)
    prometheus = re.search(r"prometheus: (http://\S+)", text)
    assert prometheus, text
    # at least the demo's run: on a shared broker its fresh coordinator group also
    # reprocesses the landings earlier demos left on the real topics
    finished = 'sum(podium_runs_finished_total{pipeline="file-ingest",status="succeeded"})'
    count = wait_until_sync(
        lambda: query(prometheus.group(1), finished),
        timeout=60,
        what="Prometheus to scrape the demo's finished run",
    )
    assert float(count) >= 1
    up = wait_until_sync(  # the coordinator, the API and the four services, all scraped
        lambda: query(prometheus.group(1), "count(up == 1)") == "6",
        timeout=30,
        what="Prometheus to scrape all six of the demo's processes",
    )
    assert up
    assert leftovers(demo.home)  # still serving
    process.send_signal(signal.SIGINT)
    done = demo.finish(process, output)
    assert done.status == 0, done.output
    assert "stopped 8 processes" in done.output  # and Prometheus, and the archive job
    assert not leftovers(demo.home), "a process the demo started is still running"


def shows_the_run(url: str, run_id: str) -> list[str]:
    """Open the dashboard's URL in a real browser: each step's state in the run's DAG."""
    browser = Browser(url.split("/#/")[0])
    try:
        browser.driver.get(url)
        nodes = "svg.dag g.node"
        browser.until("the demo's run drawn", lambda: len(browser.find(nodes)) == len(STEPS))
        assert run_id in browser.text("h1")
        browser.shot("demo-run")
        return [node.get_attribute("data-status") or "" for node in browser.find(nodes)]
    finally:
        browser.quit()


def query(base: str, promql: str) -> str | None:
    """One value of an instant query through Prometheus's HTTP API (None: no result yet)."""
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            result = json.load(response)["data"]["result"]
    except OSError:  # still starting
        return None
    return str(result[0]["value"][1]) if result else None
