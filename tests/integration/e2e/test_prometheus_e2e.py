"""A real Prometheus (Debian's package) scrapes a running coordinator, step service and
API, and answers queries on what they served; the shipped alert rules pass promtool."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.brokers import free_port
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import REPO, EventWatcher, Stack

RULES = REPO / "deploy" / "prometheus"


def tool(name: str) -> str:
    """The binary, or a failure saying how to get it (the setup script installs it)."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run deploy/setup.sh (apt-get install prometheus)")
    return path


def test_the_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = subprocess.run(
        [tool("promtool"), "check", "rules", str(RULES / "podium-rules.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 6 rules found" in checked.stdout
    tested = subprocess.run(
        [tool("promtool"), "test", "rules", "podium-rules.test.yml"],
        capture_output=True, text=True, check=False, cwd=RULES,
    )  # fmt: skip
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def scrape_config(targets: dict[str, int]) -> str:
    jobs = [
        {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
        for job, port in targets.items()
    ]
    config = {"global": {"scrape_interval": "1s"}, "scrape_configs": jobs}
    return json.dumps(config)  # JSON is YAML


class Prometheus:
    def __init__(self, home: Path, targets: dict[str, int]) -> None:
        self.port = free_port()
        config = home / "prometheus.yml"
        config.write_text(scrape_config(targets))
        self.log = (home / "prometheus.log").open("wb")
        self.process = subprocess.Popen(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={home / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"http://127.0.0.1:{self.port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr}
        )
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = json.load(answer)
        assert body["status"] == "success", body
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def until(self, expr: str, *, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Query until ``expr`` has a result (Prometheus scrapes every second here)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if result := self.query(expr):
                    return result
            except OSError:
                pass  # not listening yet
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus never answered {expr!r}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@pytest.fixture
def scraped(kafka_bootstrap: str, tmp_path: Path) -> Iterator[tuple[Stack, Prometheus]]:
    stack = make_stack(kafka_bootstrap, tmp_path)
    ports = {"coordinator": free_port(), "service": free_port(), "api": free_port()}
    stack.extra_env.update(
        PODIUM_COORDINATOR__METRICS_PORT=str(ports["coordinator"]),
        PODIUM_SERVICE__METRICS_PORT=str(ports["service"]),
    )
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    stack.start("api", "api", "--host", "127.0.0.1", "--port", str(ports["api"]))
    prometheus = Prometheus(tmp_path, {f"podium-{job}": port for job, port in ports.items()})
    try:
        yield stack, prometheus
    finally:
        prometheus.stop()
        stack.stop_all()


async def test_prometheus_scrapes_every_process_and_sees_the_run(
    scraped: tuple[Stack, Prometheus],
) -> None:
    stack, prometheus = scraped
    p = stack.prefix
    definition = pipeline(p, step(p, "a"), step(p, "b", after=["a"]))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await watcher.until(lambda seen: seen.terminal(run_id), timeout=60, what="the run ends")
    up = prometheus.until('count(up{job=~"podium-.*"} == 1) == 3')
    assert up[0]["value"][1] == "3", stack.log("api")
    name = definition.name
    finished = prometheus.until(f'podium_runs_finished_total{{pipeline="{name}"}}')
    assert [(r["metric"]["status"], r["value"][1]) for r in finished] == [("succeeded", "1")]
    attempts = prometheus.until(
        f'sum by (step) (podium_step_attempts_total{{pipeline="{name}",outcome="succeeded"}})'
    )
    assert sorted((r["metric"]["step"], r["value"][1]) for r in attempts) == [
        ("a", "1"),
        ("b", "1"),
    ]
    completed = prometheus.until('podium_service_requests_total{outcome="completed"}')
    assert completed[0]["metric"]["service"] == "worker" and completed[0]["value"][1] == "2"
    # the API counts Prometheus's own scrapes of its /metrics
    assert prometheus.until('podium_api_requests_total{route="/metrics",status="200"} > 0')
    assert prometheus.until('process_resident_memory_bytes{job="podium-api"}')
