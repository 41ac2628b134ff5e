"""Lag per pipeline step against real processes: stop the step's service while runs keep
asking for it, and the API's ``GET /v1/lag``, its ``/metrics`` and ``podium lag`` show
the step's lag grow in messages and seconds and the group STOPPED; start the service
again and they show the lag drain. A poison trigger shows up as DLQ depth."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tests.brokers import free_port
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack
from tests.integration.e2e.test_metrics_e2e import Metrics, parse_metrics

WINDOW_S = 4.0
RUNS_WHILE_DOWN = 5
WORKER = "tests.integration.e2e.services:worker"

Group = dict[str, Any]


class Api:
    """A real ``podium api`` process with a fast lag monitor, read over HTTP."""

    def __init__(self, stack: Stack) -> None:
        self.port = free_port()
        stack.start("api", "api", "--host", "127.0.0.1", "--port", str(self.port))
        self.stack = stack

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as answer:
            body: bytes = answer.read()
            return body

    def until(self, check: Callable[[dict[str, Any]], object], what: str) -> dict[str, Any]:
        """``GET /v1/lag`` until ``check`` holds on it (the monitor samples every 0.5 s)."""
        deadline = time.monotonic() + 60
        report: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                report = json.loads(self.get("/v1/lag"))
                if check(report):
                    return report
            except OSError:  # the API still starting
                pass
            time.sleep(0.25)
        tail = "\n".join(self.stack.log("api").splitlines()[-15:])
        raise AssertionError(f"{what}: never seen; last report {report}\n{tail}")


def worker_group(report: dict[str, Any], stack: Stack) -> Group | None:
    return next((g for g in report["groups"] if g["group"] == f"{stack.prefix}-worker"), None)


def lagging(least: int, status: str, stack: Stack) -> Callable[[dict[str, Any]], bool]:
    """The worker's group in ``status`` with ``least`` to twice that lag: lag counts offsets,
    as every Kafka lag tool does, and the coordinator's transactions put a commit marker
    after each of its batches (at most one per request here)."""

    def check(report: dict[str, Any]) -> bool:
        group = worker_group(report, stack)
        if group is None or group["status"] != status:
            return False
        return least <= group["lag_messages"] <= 2 * least

    return check


@pytest.fixture
def watched(kafka_bootstrap: str, tmp_path: Any) -> Iterator[tuple[Stack, Api]]:
    stack = make_stack(kafka_bootstrap, tmp_path)
    stack.extra_env.update(
        PODIUM_LAG__INTERVAL_S="0.5",
        PODIUM_LAG__WINDOW_S=str(WINDOW_S),
    )
    stack.start_coordinator()
    stack.start_service("worker", WORKER)
    try:
        yield stack, Api(stack)
    finally:
        stack.stop_all()


async def test_a_stopped_service_shows_its_step_lag_then_drains(
    watched: tuple[Stack, Api],
) -> None:
    stack, api = watched
    # a long timeout: no retry adds requests while the service is down
    definition = pipeline(stack.prefix, step(stack.prefix, "load", timeout="5m"))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        first = await stack.request_run(definition.name)
        await watcher.until(lambda seen: seen.terminal(first), timeout=60, what="first run ends")
        api.until(lagging(0, "OK", stack), "the worker's group with no lag")

        stack.kill("worker", signal.SIGTERM)  # leaves its group: no member stays
        runs = [await stack.request_run(definition.name) for _ in range(RUNS_WHILE_DOWN)]
        down = api.until(lagging(RUNS_WHILE_DOWN, "STOPPED", stack), "the step's lag STOPPED")

        group = worker_group(down, stack)
        assert group is not None
        assert group["role"] == "service" and group["service"] == "worker"
        assert group["steps"] == [{"pipeline": definition.name, "step": "load"}]
        assert group["members"] == 0
        assert group["topics"] == [stack.step_topic("worker")]
        assert group["lag_seconds"] > 0
        assert group["eta_s"] is None  # nothing is being consumed
        assert sum(p["lag_messages"] for p in group["partitions"]) == group["lag_messages"]
        older = api.until(
            lambda r: (
                (worker_group(r, stack) or {}).get("lag_seconds", 0) > group["lag_seconds"] + 1
            ),
            "the lag's age grows while the service is down",
        )
        coordinator = next(g for g in older["groups"] if g["role"] == "coordinator")
        assert coordinator["group"] == stack.settings.coordinator.app_id

        metrics = scrape(api.get("/metrics"))
        step_topic = stack.step_topic("worker")
        assert (
            sum(
                value
                for labels, value in metrics["podium_consumer_lag_messages"].items()
                if ("group", f"{stack.prefix}-worker") in labels and ("topic", step_topic) in labels
            )
            == group["lag_messages"]
        )
        stopped = (
            ("group", f"{stack.prefix}-worker"),
            ("service", "worker"),
            ("status", "STOPPED"),
        )
        assert metrics["podium_consumer_group_status"][stopped] == 1
        assert "podium_consumer_lag_seconds" in metrics

        table = podium_lag(stack)
        row = next(line for line in table.splitlines() if line.startswith(f"{stack.prefix}-worker"))
        assert f"{definition.name}.load" in row and " STOPPED " in row

        stack.start_service("worker", WORKER)
        drained = api.until(lagging(0, "OK", stack), "the step's lag drains")
        await watcher.until(
            lambda seen: all(seen.terminal(r) for r in runs), timeout=60, what="the runs end"
        )
    group = worker_group(drained, stack)
    assert group is not None and group["lag_seconds"] == 0 and group["members"] >= 1
    assert group["rate_per_s"] > 0  # the window still holds the samples before the drain

    def coordinator_idle(report: dict[str, Any]) -> bool:
        own = [g for g in report["groups"] if g["role"] == "coordinator"]
        return bool(own) and own[0]["lag_messages"] == 0 and own[0]["status"] == "OK"

    # idle: no lag, though its transactions leave commit markers after what it consumed
    api.until(coordinator_idle, "the idle coordinator without lag")


async def test_a_poison_trigger_shows_as_dlq_depth(watched: tuple[Stack, Api]) -> None:
    stack, api = watched
    dlq = f"{stack.topics.runs}.dlq"
    async with AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all") as producer:
        for poison in (b"not a run request", b"nor this"):
            await producer.send_and_wait(stack.topics.runs, poison, key=b"poison")

    def depth(report: dict[str, Any]) -> int | None:
        return next((d["messages"] for d in report["dlq"] if d["topic"] == dlq), None)

    report = api.until(lambda r: depth(r) == 2, "two letters in the runs DLQ")
    assert next(d for d in report["dlq"] if d["topic"] == dlq)["complete"] is True
    metrics = scrape(api.get("/metrics"))
    assert metrics["podium_dlq_depth_messages"][(("topic", dlq),)] == 2


def podium_lag(stack: Stack) -> str:
    """``podium lag`` (one look), as a user runs it."""
    done = stack.cli("lag", "--gap", "0.2")
    assert done.returncode == 0, done.stderr
    return done.stdout


def scrape(text: bytes) -> Metrics:
    return parse_metrics(text.decode())
