"""Steps completed by teams' events, by people and by signals, through a running coordinator.

A service that knows nothing of Podium publishes its own JSON event on its own topic
(keyed by its own ids, partitioned as it likes); a ``kind: event`` step takes it when a
field equals a param or a header names the run, also when it lands before the run
reaches the step, once however often it is delivered, and fails on ``fails_on``. An
approval step is approved and rejected with ``podium runs approve|reject``, and decides
itself at its timeout; a ``kind: signal`` step takes ``podium runs signal``'s data.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer

from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def waiting(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    stack = make_stack(kafka_bootstrap, tmp_path_factory.mktemp("waits"))
    asyncio.run(stack.create_own_topics([f"{stack.prefix}.deliveries"]))
    with serving(stack):
        yield stack


@pytest.fixture
async def producer(waiting: Stack) -> AsyncIterator[AIOKafkaProducer]:
    async with AIOKafkaProducer(bootstrap_servers=waiting.bootstrap, acks="all") as started:
        yield started


def waits(stack: Stack, name: str, **fields: Any) -> dict[str, Any]:
    """A waiting step on this stack's waiter topic."""
    return {"name": name, "topic": stack.topics.waits, "timeout": "30s", **fields}


def delivered(stack: Stack, **event: Any) -> dict[str, Any]:
    wait = {
        "topic": f"{stack.prefix}.deliveries",
        "match": {"type": "delivered"},
        "correlate": {"field": "order.id", "equals": "params.order_id"},
        "fails_on": {"status": "lost"},
        **event,
    }
    return waits(stack, "delivered", kind="event", after=["ship"], event=wait)


def order_pipeline(stack: Stack, *, ship: dict[str, Any] | None = None, **event: Any) -> Any:
    p = stack.prefix
    return pipeline(
        p,
        step(p, "ship", input=ship or {}),
        delivered(stack, **event),
        step(p, "invoice", after=["delivered"], input={"echo_upstream": True}),
        params={"order_id": {"required": True}},
    )


async def _deliver(producer: AIOKafkaProducer, stack: Stack, order_id: str, **fields: Any) -> None:
    """The delivery service's own event: its own topic, its own key, no Podium header."""
    event = {"type": "delivered", "order": {"id": order_id}, "status": "ok", **fields}
    await producer.send_and_wait(
        f"{stack.prefix}.deliveries", json.dumps(event).encode(), key=f"parcel-{order_id}".encode()
    )


def _step_output(seen: RunEvents, run_id: str, step_name: str) -> Any:
    done = [e for e in seen.step_events(run_id, step_name) if str(e.step_status) == "SUCCEEDED"]
    assert done, seen.step_statuses(run_id, step_name)
    return json.loads(done[-1].detail_json or "{}").get("output")


async def _until_status(stack: Stack, run_id: str, step_name: str, status: str) -> RunEvents:
    async with EventWatcher(stack) as watcher:
        return await watcher.until(
            lambda seen: status in seen.step_statuses(run_id, step_name),
            timeout=TIMEOUT,
            what=f"{step_name} of {run_id} is {status}",
        )


async def _finished(stack: Stack, run_id: str) -> RunEvents:
    async with EventWatcher(stack) as watcher:
        return await watcher.until(
            lambda seen: seen.terminal(run_id), timeout=TIMEOUT, what=f"{run_id} finishes"
        )


async def test_a_domain_event_matched_by_a_field_completes_the_step_once(
    waiting: Stack, producer: AIOKafkaProducer
) -> None:
    definition = order_pipeline(waiting)
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name, {"order_id": "A-17"})
    await _until_status(waiting, run_id, "delivered", "RUNNING")
    await _deliver(producer, waiting, "B-99")  # another order: not this run's
    await _deliver(producer, waiting, "A-17", carrier="ups")
    await _deliver(producer, waiting, "A-17", carrier="dhl")  # delivered twice
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    output = _step_output(seen, run_id, "delivered")
    assert output["order"] == {"id": "A-17"} and output["carrier"] == "ups"
    assert _step_output(seen, run_id, "invoice")["delivered"]["carrier"] == "ups"
    assert seen.step_statuses(run_id, "delivered").count("SUCCEEDED") == 1


async def test_an_event_that_lands_before_the_step_starts_is_kept_for_it(
    waiting: Stack, producer: AIOKafkaProducer
) -> None:
    definition = order_pipeline(waiting, ship={"sleep_s": 3})
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name, {"order_id": "E-1"})
    await _until_status(waiting, run_id, "ship", "RUNNING")
    await _deliver(producer, waiting, "E-1")  # the step is not requested yet
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert _step_output(seen, run_id, "delivered")["order"] == {"id": "E-1"}


async def test_a_header_naming_the_run_completes_the_step(
    waiting: Stack, producer: AIOKafkaProducer
) -> None:
    definition = order_pipeline(waiting, correlate={"header": "podium-run-id"})
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name, {"order_id": "H-1"})
    await _until_status(waiting, run_id, "delivered", "RUNNING")
    event = json.dumps({"type": "delivered", "status": "ok"}).encode()
    topic = f"{waiting.prefix}.deliveries"
    await producer.send_and_wait(topic, event, headers=[("podium-run-id", b"someone-else")])
    await producer.send_and_wait(topic, event, headers=[("podium-run-id", run_id.encode())])
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]


async def test_an_event_matching_fails_on_fails_the_step_with_the_event(
    waiting: Stack, producer: AIOKafkaProducer
) -> None:
    definition = order_pipeline(waiting)
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name, {"order_id": "L-1"})
    await _until_status(waiting, run_id, "delivered", "RUNNING")
    await _deliver(producer, waiting, "L-1", status="lost")
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["FAILED"]
    failed = [e for e in seen.step_events(run_id, "delivered") if e.error is not None]
    assert failed[-1].error is not None and failed[-1].error.error_type == "EventFailed"
    assert seen.step_statuses(run_id, "invoice") == ["CANCELLED"]  # never requested


def approval_pipeline(stack: Stack, **approval: Any) -> Any:
    p = stack.prefix
    gate = waits(stack, "go-live", kind="approval", after=["build"], **approval)
    return pipeline(
        p,
        step(p, "build"),
        gate,
        step(p, "deploy", after=["go-live"], input={"echo_upstream": True}),
    )


async def _decided(stack: Stack, verb: str, comment: str, by: str) -> tuple[str, RunEvents]:
    """A run waiting at its gate, decided with ``podium runs VERB``, followed to its end."""
    definition = approval_pipeline(stack)
    await stack.publish(definition)
    run_id = await stack.request_run(definition.name)
    await _until_status(stack, run_id, "go-live", "RUNNING")
    decided = stack.cli("runs", verb, run_id, "go-live", "--comment", comment, "--by", by)
    assert decided.returncode == 0, decided.stderr
    return run_id, await _finished(stack, run_id)


async def test_an_approval_records_who_and_why(waiting: Stack) -> None:
    run_id, seen = await _decided(waiting, "approve", "tests green", "ann")
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    decision = _step_output(seen, run_id, "deploy")["go-live"]
    assert (decision["decision"], decision["by"], decision["comment"]) == (
        "approved",
        "ann",
        "tests green",
    )
    shown = waiting.cli("runs", "show", run_id)
    assert "decided   go-live: approved by ann" in shown.stdout and "tests green" in shown.stdout


async def test_a_rejection_fails_the_run_saying_who_and_why(waiting: Stack) -> None:
    run_id, seen = await _decided(waiting, "reject", "too risky", "bob")
    assert seen.terminal(run_id) == ["FAILED"]
    shown = waiting.cli("runs", "show", run_id).stdout
    assert "Rejected: rejected by bob: too risky" in shown


async def test_an_approval_nobody_decides_takes_its_default_at_the_timeout(waiting: Stack) -> None:
    definition = approval_pipeline(waiting, timeout="4s", approval={"on_timeout": "approve"})
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name)
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert _step_output(seen, run_id, "deploy")["go-live"]["by"] == "timeout"


async def test_approving_a_step_that_is_not_an_approval_is_refused(waiting: Stack) -> None:
    definition = approval_pipeline(waiting)
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name)
    await _until_status(waiting, run_id, "go-live", "RUNNING")
    refused = waiting.cli("runs", "approve", run_id, "build")
    assert refused.returncode == 2 and "is a service step, not an approval" in refused.stderr
    assert waiting.cli("runs", "approve", run_id, "go-live").returncode == 0


async def test_a_signal_step_takes_the_signals_data(waiting: Stack) -> None:
    p = waiting.prefix
    definition = pipeline(
        p,
        waits(waiting, "wait-for-go", kind="signal", signal="go"),
        step(p, "act", after=["wait-for-go"], input={"echo_upstream": True}),
    )
    await waiting.publish(definition)
    run_id = await waiting.request_run(definition.name)
    await _until_status(waiting, run_id, "wait-for-go", "RUNNING")
    sent = waiting.cli("runs", "signal", run_id, "go", "--data", '{"window": "22:00"}')
    assert sent.returncode == 0, sent.stderr
    seen = await _finished(waiting, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert _step_output(seen, run_id, "act")["wait-for-go"] == {"window": "22:00"}


async def test_a_wait_and_a_kept_event_survive_a_killed_coordinator(
    waiting: Stack, producer: AIOKafkaProducer
) -> None:
    """SIGKILL while one run waits and another's event is kept for a step not requested
    yet: after the restart the waiter reads both again, and each step completes once."""
    quick, slow = order_pipeline(waiting), order_pipeline(waiting, ship={"sleep_s": 15})
    await waiting.publish(quick, slow)
    waiting_run = await waiting.request_run(quick.name, {"order_id": "K-1"})
    await _until_status(waiting, waiting_run, "delivered", "RUNNING")
    early_run = await waiting.request_run(slow.name, {"order_id": "K-2"})
    await _until_status(waiting, early_run, "ship", "RUNNING")
    await _deliver(producer, waiting, "K-2")  # kept: K-2's step is not requested yet
    waiting.kill("coordinator")
    killed_at = datetime.now(UTC)
    await _deliver(producer, waiting, "K-1")  # while no waiter runs
    waiting.start_coordinator()
    for run_id in (waiting_run, early_run):
        seen = await _finished(waiting, run_id)
        assert seen.terminal(run_id) == ["SUCCEEDED"], run_id
        assert seen.step_statuses(run_id, "delivered").count("SUCCEEDED") == 1
    events = seen.step_events(early_run, "delivered")
    started = [e for e in events if str(e.step_status) == "RUNNING"]
    assert started[0].changed_at > killed_at  # requested after the restart: the event was kept
