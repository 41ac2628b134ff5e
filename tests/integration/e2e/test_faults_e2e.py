"""Faults with runs in flight: a step service SIGKILLed, one of two coordinators SIGKILLed,
the broker itself stopped and restarted (briefly, then for longer than the clients'
request timeout). After each, every run SUCCEEDED, every step's
output is on the run events, and the duplicates at-least-once delivery made are counted
(printed: run with ``-s`` to see them).

What is counted, per test:
- ``repeated``: handler executions beyond one per step (executions.log): redeliveries
  of a request whose result was never acknowledged and committed, or timeout retries;
- ``absorbed``: StepCompleted records on the results topic beyond one per step: results
  the coordinator received again and ignored (a finished step changes nothing);
- ``duplicate terminal`` / ``duplicate step SUCCEEDED``: run events announced twice.
  Only a coordinator that crashed between producing and committing can do that
  (at-least-once on its output); a service crash never should.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import TopicPartition

from podium import contract as wire
from podium.broker import LocalBroker
from podium.errors import PodiumError
from podium.pipelines import Pipeline
from podium.settings import PodiumSettings
from podium.testing import wait_until
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import PARTITIONS, EventWatcher, RunEvents, Stack

WORKER = "tests.integration.e2e.services:worker"
STEPS = ("first", "second", "third")
RUNS = 8
LOADED_RUNS = 200
SESSION_TIMEOUT_S = "6"  # the broker's default group.min.session.timeout.ms
OUTAGE_S = float(os.environ.get("PODIUM_TEST_OUTAGE_S", "3"))
SHORT_REQUEST_TIMEOUT_MS = 5000


def chain(stack: Stack, sleep_s: float) -> Pipeline:
    """Three steps one after the other, each sleeping so that faults hit them mid-step."""
    p = stack.prefix
    return pipeline(
        p,
        step(p, "first", input={"sleep_s": sleep_s}),
        step(p, "second", after=["first"], input={"sleep_s": sleep_s}),
        step(p, "third", after=["second"], input={"sleep_s": sleep_s}),
    )


# -- the checks shared by every fault -----------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Duplicates that at-least-once delivery produced, and that the design absorbed."""

    runs: int
    steps: int
    executions: int
    requests: int
    completions: int
    terminal_events: int
    step_successes: int

    @property
    def repeated(self) -> int:
        return self.executions - self.steps

    @property
    def re_requested(self) -> int:
        return self.requests - self.steps

    @property
    def absorbed(self) -> int:
        return self.completions - self.steps

    @property
    def duplicate_terminal(self) -> int:
        return self.terminal_events - self.runs

    @property
    def duplicate_step_successes(self) -> int:
        return self.step_successes - self.steps

    def report(self, fault: str) -> str:
        return (
            f"[{fault}] {self.runs} runs x {len(STEPS)} steps = {self.steps} steps: "
            f"{self.requests} StepRequested ({self.re_requested} re-sent), "
            f"{self.executions} handler executions ({self.repeated} repeated), "
            f"{self.completions} StepCompleted on the results topic ({self.absorbed} absorbed "
            f"by the coordinator), {self.terminal_events} terminal run events "
            f"({self.duplicate_terminal} duplicate), {self.step_successes} step SUCCEEDED "
            f"events ({self.duplicate_step_successes} duplicate)"
        )


def assert_all_succeeded(seen: RunEvents, run_ids: Sequence[str]) -> None:
    """Every run ended SUCCEEDED (never anything else), every step's output is on its event."""
    for run in run_ids:
        terminal = seen.terminal(run)
        assert terminal and set(terminal) == {"SUCCEEDED"}, (run, terminal)
        for name in STEPS:
            done = [e for e in seen.step_events(run, name) if e.step_status == "SUCCEEDED"]
            assert done, (run, name, seen.step_statuses(run, name))
            for event in done:  # the handler's own return value, for the attempt that won
                output = json.loads(event.output_json or "null")
                assert output == {"step": name, "attempt": event.attempt}, (run, name, output)


async def settled(stack: Stack, seen: RunEvents, run_ids: Sequence[str]) -> Tally:
    """Every run SUCCEEDED and the worker committed everything; then what was counted."""
    assert_all_succeeded(seen, run_ids)
    await wait_worker_committed(stack)
    return await tally(stack, seen, run_ids)


async def tally(stack: Stack, seen: RunEvents, run_ids: Sequence[str]) -> Tally:
    ours = set(run_ids)
    ran = [(run, name) for run, name, _ in executions(stack.home) if run in ours]
    assert set(ran) == {(run, name) for run in run_ids for name in STEPS}
    results = await read_all(stack, stack.topics.step_results)
    completions = [e for e in results if isinstance(e, wire.StepCompleted) and e.run_id in ours]
    asked = await read_all(stack, stack.step_topic("worker"))
    requests = [e for e in asked if isinstance(e, wire.StepRequested) and e.run_id in ours]
    successes = [e for run in run_ids for e in seen.of(run) if e.step_status == "SUCCEEDED"]
    return Tally(
        runs=len(run_ids),
        steps=len(run_ids) * len(STEPS),
        executions=len(ran),
        requests=len(requests),
        completions=len(completions),
        terminal_events=sum(len(seen.terminal(run)) for run in run_ids),
        step_successes=len(successes),
    )


async def read_all(stack: Stack, topic: str) -> list[wire.PodiumModel]:
    """Every event on ``topic`` now."""
    return [stack.codec.decode_event(record.value) for record in await stack.records(topic)]


async def wait_worker_committed(stack: Stack) -> None:
    """The worker's group commits every request it handled: none is left to be redelivered
    on the next restart (a stuck commit would re-run all later requests then)."""
    topic = stack.step_topic("worker")
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    behind: dict[int, tuple[int, int]] = {}

    async def caught_up() -> bool:
        async with _admin(stack) as admin:
            done = await admin.list_consumer_group_offsets(f"{stack.prefix}-worker")
        ends = await end_offsets(stack, partitions)
        behind.clear()
        for tp in partitions:
            committed = done[tp].offset if tp in done else 0
            if committed < ends[tp]:
                behind[tp.partition] = (committed, ends[tp])
        return not behind

    try:
        await wait_until(caught_up, timeout=30, interval=0.5, what="the worker commits all")
    except AssertionError as exc:
        raise AssertionError(
            f"worker commits stuck (partition: committed, end): {behind}\n"
            f"{stack.log('worker')[-3000:]}"
        ) from exc


async def end_offsets(stack: Stack, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap)
    await consumer.start()
    try:
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return ends
    finally:
        await consumer.stop()


@asynccontextmanager
async def _admin(stack: Stack) -> AsyncIterator[AIOKafkaAdminClient]:
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


def all_done(run_ids: Sequence[str], stack: Stack) -> Callable[[RunEvents], bool]:
    """Every run has a terminal event; fails at once, with its log, if a process died."""

    def check(seen: RunEvents) -> bool:
        for name, process in stack.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"{name} exited with {process.returncode}:\n{stack.log(name)[-4000:]}"
                )
        return all(seen.terminal(run) for run in run_ids)

    return check


def in_flight(stack: Stack, seen: RunEvents, run_ids: Sequence[str]) -> set[tuple[str, str]]:
    """Steps whose handler started and whose success is not on the run events yet."""
    started = {(run, name) for run, name, _ in executions(stack.home) if run in run_ids}
    return {
        (run, name) for run, name in started if "SUCCEEDED" not in seen.step_statuses(run, name)
    }


# -- a: a step service SIGKILLed mid-step ---------------------------------------------


async def test_step_service_sigkill_mid_step_requests_are_redelivered(own_stack: Stack) -> None:
    stack = own_stack
    definition = chain(stack, sleep_s=1.0)
    await stack.publish(definition)
    stack.start_coordinator()
    stack.start_service("worker", WORKER)
    async with EventWatcher(stack) as watcher:
        run_ids = [await stack.request_run(definition.name) for _ in range(RUNS)]
        await watcher.until(
            lambda seen: len(in_flight(stack, seen, run_ids)) >= 2,
            timeout=60,
            what="steps are running in the worker",
        )
        cut = in_flight(stack, watcher.seen, run_ids)
        stack.kill("worker", signal.SIGKILL)
        stack.start_service("worker-2", WORKER)
        seen = await watcher.until(
            all_done(run_ids, stack), timeout=75, what="every run finishes on the new worker"
        )
    counts = await settled(stack, seen, run_ids)
    print(f"\nkilled mid-step: {sorted(cut)}")
    print(counts.report("step service SIGKILL"))
    assert counts.repeated >= 1, "the steps cut short must run again"
    assert counts.duplicate_terminal == 0  # the coordinator never crashed here
    assert counts.duplicate_step_successes == 0


# -- b: one of two coordinators SIGKILLed ---------------------------------------------


async def owners(stack: Stack) -> dict[str, set[int]]:
    """Member id -> its partitions of the runs topic, once the coordinators' group is Stable."""
    async with _admin(stack) as admin:
        [response] = await admin.describe_consumer_groups([stack.settings.coordinator.app_id])
    _, _, state, _, _, members, *_ = response.groups[0]
    if state != "Stable":
        return {}
    return {member[0]: _owned(member[4], stack.topics.runs) for member in members}


def _owned(assignment: bytes, topic: str) -> set[int]:
    if not assignment:
        return set()
    decoded = ConsumerProtocolMemberAssignment.decode(assignment)
    return {p for name, parts in decoded.assignment if name == topic for p in parts}


async def wait_for_owners(stack: Stack, shape: list[set[int]], what: str) -> dict[str, set[int]]:
    """Wait until the members own exactly ``shape`` (in any order); returns who owns what."""

    async def settled() -> dict[str, set[int]] | None:
        found = await owners(stack)
        return found if sorted(map(sorted, found.values())) == sorted(map(sorted, shape)) else None

    return await wait_until(settled, timeout=60, interval=0.5, what=what)


async def uncommitted(stack: Stack) -> dict[TopicPartition, int]:
    """Per input partition of the coordinators: records after the group's committed offset."""
    topics = stack.topics
    partitions = [
        TopicPartition(topic, p)
        for topic in (topics.runs, topics.step_results, topics.timers)
        for p in range(PARTITIONS)
    ]
    async with _admin(stack) as admin:
        committed = await admin.list_consumer_group_offsets(stack.settings.coordinator.app_id)
    ends = await end_offsets(stack, partitions)
    return {tp: ends[tp] - (committed[tp].offset if tp in committed else 0) for tp in partitions}


def run_ids_across_partitions(count: int) -> list[str]:
    """``count`` fresh run ids, as many in each partition (so both coordinators get runs)."""
    ids = [f"run-{uuid.uuid4().hex[:12]}" for _ in range(count // PARTITIONS)]
    return [same for run in ids for same in (run, *others_in(run))]


def others_in(run_id: str) -> list[str]:
    partitioner = DefaultPartitioner()
    every = list(range(PARTITIONS))
    mine = partitioner(run_id.encode(), every, every)
    found: dict[int, str] = {}
    while len(found) < PARTITIONS - 1:
        candidate = f"run-{uuid.uuid4().hex[:12]}"
        where = partitioner(candidate.encode(), every, every)
        if where != mine:
            found.setdefault(where, candidate)
    return list(found.values())


async def two_coordinators(stack: Stack, sleep_s: float) -> tuple[Pipeline, dict[str, set[int]]]:
    """The chain published and two coordinators each owning a partition; who owns what."""
    stack.extra_env["PODIUM_COORDINATOR__SESSION_TIMEOUT_S"] = SESSION_TIMEOUT_S
    definition = chain(stack, sleep_s=sleep_s)
    await stack.publish(definition)
    stack.start_coordinator("coordinator-a")
    stack.start_coordinator("coordinator-b")
    owners = await wait_for_owners(stack, [{0}, {1}], "each coordinator owns a partition")
    return definition, owners


async def test_two_coordinators_one_sigkilled_the_other_takes_over(own_stack: Stack) -> None:
    stack = own_stack
    definition, before = await two_coordinators(stack, sleep_s=0.5)
    stack.start_service("worker", WORKER)
    async with EventWatcher(stack) as watcher:
        run_ids = run_ids_across_partitions(RUNS)
        for run in run_ids:
            await stack.request_run(definition.name, run_id=run)
        await watcher.until(
            lambda seen: sum("SUCCEEDED" in seen.step_statuses(r, "first") for r in run_ids) >= 2,
            timeout=60,
            what="runs are under way",
        )
        unfinished = [run for run in run_ids if not watcher.seen.terminal(run)]
        stack.kill("coordinator-a", signal.SIGKILL)
        backlog = await uncommitted(stack)
        after = await wait_for_owners(stack, [{0, 1}], "the survivor owns both partitions")
        seen = await watcher.until(
            all_done(run_ids, stack), timeout=75, what="every run finishes on the survivor"
        )
    assert_all_succeeded(seen, run_ids)
    await wait_worker_committed(stack)
    [dead] = [partitions for member, partitions in before.items() if member not in after]
    orphaned = [run for run in unfinished if partition_of(run) in dead]
    assert orphaned, "the killed coordinator had runs in flight"
    reread = sum(count for tp, count in backlog.items() if tp.partition in dead)
    counts = await tally(stack, seen, run_ids)
    print(
        f"\nkilled the owner of partition {sorted(dead)} with {len(orphaned)} runs in flight; "
        f"the survivor re-read at most {reread} records there past the last commit"
    )
    print(counts.report("coordinator SIGKILL, two instances"))


async def test_a_coordinator_sigkilled_under_load_loses_nothing(own_stack: Stack) -> None:
    """The same takeover while the killed instance is busy: batches sent but not yet
    acknowledged, offsets not yet committed, many runs in flight on both partitions."""
    stack = own_stack
    definition, _ = await two_coordinators(stack, sleep_s=0)
    stack.start_service("worker", WORKER)
    async with EventWatcher(stack) as watcher:
        run_ids = run_ids_across_partitions(LOADED_RUNS)
        await asyncio.gather(*(stack.request_run(definition.name, run_id=r) for r in run_ids))
        await watcher.until(
            lambda seen: sum(bool(seen.terminal(r)) for r in run_ids) >= LOADED_RUNS // 10,
            timeout=60,
            what="a tenth of the runs finished",
        )
        in_flight = sum(not watcher.seen.terminal(run) for run in run_ids)
        stack.kill("coordinator-a", signal.SIGKILL)
        seen = await watcher.until(
            all_done(run_ids, stack), timeout=90, what="every run finishes on the survivor"
        )
    counts = await settled(stack, seen, run_ids)
    print(f"\nkilled a coordinator with {in_flight} of {LOADED_RUNS} runs unfinished")
    print(counts.report("coordinator SIGKILL under load, two instances"))


def partition_of(run_id: str) -> int:
    every = list(range(PARTITIONS))
    return int(DefaultPartitioner()(run_id.encode(), every, every))


# -- c: the broker stopped and restarted ----------------------------------------------


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of this test's own (the session's shared broker is never stopped)."""
    broker = LocalBroker(tmp_path / "broker", jars_cache=PodiumSettings().jars_cache_dir)
    try:
        broker.start()
    except PodiumError as exc:  # no java or no jars: this test cannot run here
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the broker restart test needs a local broker in CI: {exc}")
        pytest.skip(f"no local broker: {exc}")
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def broker_stack(own_broker: LocalBroker, tmp_path: Path) -> Iterator[Stack]:
    """A stack (topics created, nothing started) on this test's own broker."""
    bootstrap = own_broker.status().bootstrap
    assert bootstrap is not None
    stack = Stack(bootstrap=bootstrap, home=tmp_path / "stack")
    stack.home.mkdir()
    asyncio.run(stack.create_topics(services=["worker"]))
    try:
        yield stack
    finally:
        stack.stop_all()


async def test_broker_stopped_and_restarted_with_runs_in_flight(
    broker_stack: Stack, own_broker: LocalBroker
) -> None:
    await broker_restart(broker_stack, own_broker, OUTAGE_S, "broker stop + restart")


async def test_a_broker_outage_longer_than_the_request_timeout(
    broker_stack: Stack, own_broker: LocalBroker
) -> None:
    """Results that cannot be sent within the clients' request timeout must still be
    delivered (or redelivered) and committed: the services' commits must not stay stuck."""
    broker_stack.extra_env["PODIUM_KAFKA__REQUEST_TIMEOUT_MS"] = str(SHORT_REQUEST_TIMEOUT_MS)
    outage = 2 * SHORT_REQUEST_TIMEOUT_MS / 1000
    await broker_restart(broker_stack, own_broker, outage, "broker outage > request timeout")
    assert resends(broker_stack) >= 1, "results in flight outlived the request timeout"


def resends(stack: Stack) -> int:
    """Result sends the worker retried after a failure (its log says so, once each)."""
    return stack.log("worker").count("not sent yet")


async def broker_restart(stack: Stack, broker: LocalBroker, outage_s: float, label: str) -> None:
    definition = chain(stack, sleep_s=1.0)
    await stack.publish(definition)
    stack.start_coordinator()
    stack.start_service("worker", WORKER)
    async with EventWatcher(stack) as watcher:
        run_ids = [await stack.request_run(definition.name) for _ in range(RUNS)]
        await watcher.until(
            lambda seen: len(in_flight(stack, seen, run_ids)) >= 2,
            timeout=60,
            what="steps are running when the broker stops",
        )
        await asyncio.to_thread(broker.stop)
        await asyncio.sleep(outage_s)  # the outage itself (not an assertion)
        await asyncio.to_thread(broker.start)
        seen = await watcher.until(
            all_done(run_ids, stack), timeout=75, what="every run finishes after the restart"
        )
    counts = await settled(stack, seen, run_ids)
    print(f"\n{counts.report(label)}; result sends retried by the worker: {resends(stack)}")
    alive = [name for name, process in stack.processes.items() if process.poll() is None]
    assert sorted(alive) == ["coordinator", "worker"], "both rode out the outage, no restart"
