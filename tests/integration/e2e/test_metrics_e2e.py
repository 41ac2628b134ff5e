"""Prometheus metrics from real processes: a coordinator and a step service with
``PODIUM_*__METRICS_PORT`` set serve ``/metrics``, and what they say matches the runs."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.brokers import free_port
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import PARTITIONS, EventWatcher, Stack

Labels = tuple[tuple[str, str], ...]
Metrics = dict[str, dict[Labels, float]]


def scrape(port: int) -> Metrics:
    """``/metrics`` on ``port``, as name -> labels -> value."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        return parse_metrics(answer.read().decode())


def parse_metrics(text: str) -> Metrics:
    """Prometheus's text format as name -> labels -> value."""
    out: Metrics = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def eventually(port: int, check: Callable[[Metrics], object], *, timeout: float = 30.0) -> Metrics:
    """Scrape until ``check(metrics)`` holds (the coordinator updates them per batch)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            metrics = scrape(port)
            if check(metrics):
                return metrics
        except OSError:
            metrics = {}
        if time.monotonic() > deadline:
            raise AssertionError(f"metrics on :{port} never matched; last: {sorted(metrics)}")
        time.sleep(0.2)


@pytest.fixture
def measured(kafka_bootstrap: str, tmp_path: object) -> Iterator[tuple[Stack, int, int]]:
    stack = make_stack(kafka_bootstrap, tmp_path)  # type: ignore[arg-type]
    coordinator_port, service_port = free_port(), free_port()
    stack.extra_env.update(
        PODIUM_COORDINATOR__METRICS_PORT=str(coordinator_port),
        PODIUM_SERVICE__METRICS_PORT=str(service_port),
    )
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    try:
        yield stack, coordinator_port, service_port
    finally:
        stack.stop_all()


async def test_the_coordinator_and_a_service_count_what_the_runs_did(
    measured: tuple[Stack, int, int],
) -> None:
    stack, coordinator_port, service_port = measured
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "load", input={"fail_attempts": 1}),  # retried once, then succeeds
        step(p, "check", after=["load"], input={"fatal": True}),  # fails the run
    )
    ok = pipeline(p, step(p, "only"))
    await stack.publish(definition, ok)
    async with EventWatcher(stack) as watcher:
        failing = await stack.request_run(definition.name)
        fine = await stack.request_run(ok.name)
        await watcher.until(
            lambda seen: seen.terminal(failing) and seen.terminal(fine),
            timeout=60,
            what="both runs end",
        )
    name, other = definition.name, ok.name

    def finished(metrics: Metrics) -> bool:
        runs = metrics.get("podium_runs_finished_total", {})
        return len(runs) >= 2

    metrics = eventually(coordinator_port, finished)
    assert metrics["podium_runs_started_total"] == {
        (("pipeline", name),): 1,
        (("pipeline", other),): 1,
    }
    assert metrics["podium_runs_finished_total"] == {
        (("pipeline", name), ("status", "failed")): 1,
        (("pipeline", other), ("status", "succeeded")): 1,
    }
    attempts = metrics["podium_step_attempts_total"]
    assert attempts[(("outcome", "retried"), ("pipeline", name), ("step", "load"))] == 1
    assert attempts[(("outcome", "succeeded"), ("pipeline", name), ("step", "load"))] == 1
    assert attempts[(("outcome", "failed"), ("pipeline", name), ("step", "check"))] == 1
    durations = metrics["podium_step_duration_seconds_count"]
    assert durations[(("pipeline", name), ("step", "load"))] == 1
    assert metrics["podium_run_duration_seconds_count"][(("pipeline", other),)] == 1
    assert metrics["podium_transition_latency_seconds_count"][()] >= 1  # load -> check
    assert metrics["podium_coordinator_owned_partitions"][()] == PARTITIONS
    assert metrics["podium_coordinator_batch_records_count"][()] >= 1
    assert not any("run-" in value for labels in attempts for _, value in labels)  # no run ids

    service = eventually(
        service_port,
        lambda m: m.get("podium_service_requests_total", {}).get(
            (("outcome", "completed"), ("service", "worker"))
        ),
    )
    requests = service["podium_service_requests_total"]
    assert requests[(("outcome", "completed"), ("service", "worker"))] == 2  # load#2, only
    assert requests[(("outcome", "failed"), ("service", "worker"))] == 2  # load#1, check
    assert service["podium_service_concurrency"][(("service", "worker"),)] >= 1
    assert service["podium_service_in_flight"][(("service", "worker"),)] == 0
