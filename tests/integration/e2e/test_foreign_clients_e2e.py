"""Records from a non-Java Kafka client reach their run: kcat (librdkafka) as the client.

librdkafka's default partitioner (``consistent_random``: CRC32 of the key) puts a key on
another partition than Java's murmur2, which Podium's tables are partitioned by. Every
run id here is chosen so the two disagree, so each record kcat sends lands on the wrong
partition and must be forwarded by the coordinator; without that, a run request stays
QUEUED for ever and a step result is dead-lettered as ``unknown-run``.

Values are encoded by Podium's codec, written to a file and sent whole by kcat (one file,
one message: Avro binary may hold any delimiter byte). Needs ``kcat`` on PATH
(``apt-get install kcat``, done by deploy/setup.sh as root); in CI (``CI=true``) a
missing kcat fails the test instead of skipping it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer

from podium import contract as wire
from podium.contract import PodiumModel
from podium.dlq import DlqEntry, read_dlqs
from podium.testing import wait_until
from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.pipelines import FAST_RETRY, pipeline, step
from tests.integration.e2e.stack import (
    PARTITIONS,
    TRACEPARENT,
    EventWatcher,
    Stack,
    murmur2_partition,
)
from tests.required import require_tools

RUN_TIMEOUT = 60.0
FOREIGN = "foreign"
"""The step service answered by kcat instead of the SDK."""


@pytest.fixture(scope="module")
def kcat() -> str:
    return require_tools("the foreign-client test (apt-get install kcat)", "kcat")["kcat"]


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A coordinator and the scripted SDK worker, plus a request topic for kcat's service."""
    home = tmp_path_factory.mktemp("foreign")
    with serving(make_stack(kafka_bootstrap, home, ["worker", FOREIGN])) as stack:
        yield stack


def crc32_partition(key: str) -> int:
    """Where librdkafka's default ``consistent_random`` partitioner puts ``key``."""
    return zlib.crc32(key.encode()) % PARTITIONS


def misplaced_id(prefix: str = "run") -> str:
    """A run id that kcat's partitioner puts on another partition than Podium's."""
    while True:
        run_id = f"{prefix}-{uuid.uuid4().hex[:12]}"
        if crc32_partition(run_id) != murmur2_partition(run_id):
            return run_id


async def kcat_send(
    kcat: str,
    stack: Stack,
    topic: str,
    event: PodiumModel,
    *,
    key: str | None,
    partition: int | None = None,
) -> None:
    """Produce ``event`` with kcat's default partitioner (or onto ``partition``)."""
    with tempfile.NamedTemporaryFile(suffix=".avro") as value:
        value.write(stack.codec.encode_event(event))
        value.flush()
        args = ["-P", "-b", stack.bootstrap, "-t", topic, "-H", f"traceparent={TRACEPARENT}"]
        args += ["-k", key] if key is not None else []
        args += ["-p", str(partition)] if partition is not None else []
        done = await asyncio.create_subprocess_exec(
            kcat, *args, value.name, stderr=asyncio.subprocess.PIPE
        )
        _, err = await done.communicate()
    assert done.returncode == 0, f"kcat failed: {err.decode(errors='replace')}"


def run_requested(run_id: str, pipeline_name: str) -> wire.RunRequested:
    return wire.RunRequested(
        run_id=run_id,
        pipeline=pipeline_name,
        params_json="{}",
        trigger=wire.Trigger(source=wire.TriggerSource.API),
        requested_at=datetime.now(UTC),
    )


async def dead_letters(stack: Stack, run_ids: Sequence[str]) -> list[DlqEntry]:
    """The dead letters of ``run_ids`` on the run-keyed inputs' dead-letter topics."""
    topics = [f"{stack.topics.runs}.dlq", f"{stack.topics.step_results}.dlq"]
    entries = await read_dlqs(stack.settings.client_kwargs(), topics)
    return [entry for entry in entries if entry.run_id in run_ids]


async def test_run_requests_from_kcat_start_their_runs(kcat: str, stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "one"), step(p, "two", after=["one"]))
    await stack.publish(definition)
    keyed, keyless, other_key = misplaced_id(), misplaced_id(), misplaced_id()
    wrong_key = next(
        k for k in map(str, range(99)) if crc32_partition(k) != murmur2_partition(other_key)
    )
    assert crc32_partition(keyed) != murmur2_partition(keyed)  # kcat misplaces it
    runs = stack.topics.runs
    async with EventWatcher(stack) as watcher:
        await kcat_send(kcat, stack, runs, run_requested(keyed, definition.name), key=keyed)
        wrong = 1 - murmur2_partition(keyless)  # a keyless record lands anywhere: here, wrong
        event = run_requested(keyless, definition.name)
        await kcat_send(kcat, stack, runs, event, key=None, partition=wrong)
        event = run_requested(other_key, definition.name)
        await kcat_send(kcat, stack, runs, event, key=wrong_key)
        ends = await watcher.finished([keyed, keyless, other_key], RUN_TIMEOUT)
    assert ends == {keyed: ["SUCCEEDED"], keyless: ["SUCCEEDED"], other_key: ["SUCCEEDED"]}
    assert await dead_letters(stack, list(ends)) == []
    assert f"of {runs} to their run's partition" in stack.log("coordinator")


async def test_a_cancel_from_kcat_cancels_its_run(kcat: str, stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, step(p, "slow", input={"sleep_s": 30}, timeout="60s"))
    await stack.publish(definition)
    run_id = misplaced_id()
    async with EventWatcher(stack) as watcher:
        await stack.request_run(definition.name, run_id=run_id)  # Podium's own partitioning
        await watcher.until(
            lambda seen: "RUNNING" in seen.step_statuses(run_id, "slow"),
            timeout=RUN_TIMEOUT,
            what="the slow step starts",
        )
        cancel = wire.RunCancelRequested(
            run_id=run_id, reason="kcat cancel", requested_at=datetime.now(UTC)
        )
        await kcat_send(kcat, stack, stack.topics.runs, cancel, key=run_id)
        ends = await watcher.finished([run_id], RUN_TIMEOUT)
    assert ends == {run_id: ["CANCELLED"]}
    assert await dead_letters(stack, [run_id]) == []


async def test_poison_from_kcat_is_dead_lettered_once_from_its_run_partition(
    kcat: str, stack: Stack
) -> None:
    """A misplaced request the coordinator rejects is forwarded first, then dead-lettered
    by its run's owner: one dead letter, keyed by the run id, naming the forwarded copy."""
    run_id = misplaced_id()
    event = run_requested(run_id, "no-such-pipeline")
    await kcat_send(kcat, stack, stack.topics.runs, event, key=run_id)
    entries = await wait_until(
        lambda: dead_letters(stack, [run_id]), timeout=RUN_TIMEOUT, what=f"{run_id} dead-lettered"
    )
    assert [e.reason for e in entries] == ["unknown-pipeline"]
    assert entries[0].origin is not None
    assert entries[0].origin.partition == murmur2_partition(run_id) != crc32_partition(run_id)


@contextlib.asynccontextmanager
async def kcat_service(kcat: str, stack: Stack) -> AsyncIterator[None]:
    """A step service in the test answering with kcat: attempt 1 fails (retryable),
    later attempts send a heartbeat, then complete."""
    consumer = AIOKafkaConsumer(
        stack.step_topic(FOREIGN),
        bootstrap_servers=stack.bootstrap,
        group_id=f"{stack.prefix}-{FOREIGN}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    task = asyncio.create_task(_answer(kcat, stack, consumer))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await consumer.stop()


async def _answer(kcat: str, stack: Stack, consumer: AIOKafkaConsumer) -> None:
    results = stack.topics.step_results
    async for record in consumer:
        request = stack.codec.decode_event(record.value, wire.StepRequested)
        for event in _replies(request):
            await kcat_send(kcat, stack, results, event, key=request.run_id)


def _replies(request: wire.StepRequested) -> list[PodiumModel]:
    now = datetime.now(UTC)
    ids = {"run_id": request.run_id, "step": request.step, "attempt": request.attempt}
    if request.attempt == 1:
        failed = wire.StepFailed(
            **ids, error_type="Flaky", error_message="first try", failed_at=now, worker="kcat"
        )
        return [failed]
    beat = wire.StepHeartbeat(**ids, sent_at=now, worker="kcat")
    output = json.dumps({"by": "kcat", "attempt": request.attempt})
    done = wire.StepCompleted(**ids, output_json=output, completed_at=now, worker="kcat")
    return [beat, done]


async def test_step_results_from_a_kcat_service_drive_their_run(kcat: str, stack: Stack) -> None:
    p = stack.prefix
    foreign = {**step(p, "foreign"), "service": FOREIGN, "topic": stack.step_topic(FOREIGN)}
    foreign["retry"] = FAST_RETRY
    definition = pipeline(p, foreign, step(p, "after", after=["foreign"]))
    await stack.publish(definition)
    run_id = misplaced_id()
    async with kcat_service(kcat, stack), EventWatcher(stack) as watcher:
        await stack.request_run(definition.name, run_id=run_id)
        ends = await watcher.finished([run_id], RUN_TIMEOUT)
        statuses = watcher.seen.step_statuses(run_id, "foreign")
    assert ends == {run_id: ["SUCCEEDED"]}
    assert "RETRY_WAIT" in statuses, statuses  # attempt 1's StepFailed
    assert await dead_letters(stack, [run_id]) == []
    results = stack.topics.step_results
    assert f"of {results} to their run's partition" in stack.log("coordinator")
