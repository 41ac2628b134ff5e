"""A step service in Java, with no Podium code, serves a pipeline step end to end.

``services/examples/java-archive`` uses only Apache Avro (single-object encoding of the
``schemas/`` it carries in its jar) and Kafka's Java client. Here it is built with Maven
(once per content: ``build.sh`` caches the jar) and run as ``java -jar``, beside the
coordinator and the scripted Python worker of the other steps. Needs ``java`` and ``mvn``
(deploy/setup.sh installs them as root on Debian, and builds the jar); in CI (``CI=true``)
a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition

from podium import contract as wire
from podium.contract import header_value
from podium.dlq import DlqEntry, read_dlqs
from podium.testing import wait_until
from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import (
    PARTITIONS,
    REPO,
    TRACEPARENT,
    EventWatcher,
    Stack,
    murmur2_partition,
)
from tests.required import require_tools

ARCHIVE = "archive"
BUILD = REPO / "services" / "examples" / "java-archive" / "build.sh"
RUN_TIMEOUT = 60.0

pytestmark = pytest.mark.timeout(600)  # a cold first build fetches Avro and kafka-clients


@pytest.fixture(scope="module")
def archive_jar() -> Path:
    """The Java service's jar, built by Maven unless this content was built before."""
    require_tools("the Java step service test", "java", "mvn")
    done = subprocess.run(
        ["bash", str(BUILD)], capture_output=True, text=True, timeout=540, check=False
    )
    assert done.returncode == 0, f"the Maven build failed:\n{done.stderr[-3000:]}"
    return Path(done.stdout.split()[-1]) / "podium-java-archive.jar"


@pytest.fixture(scope="module")
def stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, archive_jar: Path
) -> Iterator[Stack]:
    """A coordinator, the scripted Python worker and the Java archive service."""
    home = tmp_path_factory.mktemp("java")
    with serving(make_stack(kafka_bootstrap, home, ["worker", ARCHIVE])) as stack:
        env = {
            "ARCHIVE_REQUEST_TOPIC": stack.step_topic(ARCHIVE),
            "ARCHIVE_GROUP_ID": f"{stack.prefix}-{ARCHIVE}",
            "ARCHIVE_DIR": str(home / "archive"),
        }
        stack.start_program(ARCHIVE, ["java", "-jar", str(archive_jar)], env)
        yield stack


def archive_step(stack: Stack, name: str = "archive", **fields: Any) -> dict[str, Any]:
    return {
        **step(stack.prefix, name, **fields),
        "service": ARCHIVE,
        "topic": stack.step_topic(ARCHIVE),
    }


async def java_results(stack: Stack, run_id: str) -> list[ConsumerRecord[bytes, bytes]]:
    """The records on the results topic so far that the Java service sent for ``run_id``."""
    topic = stack.topics.step_results
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        records = await _read_to(consumer, await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()
    return [r for r in records if r.key == run_id.encode() and b"java-archive/" in r.value]


async def _read_to(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> list[Any]:
    records: list[Any] = []
    while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batches = await consumer.getmany(timeout_ms=500)
        records += [record for batch in batches.values() for record in batch]
    return records


def step_output(event: wire.RunStatusChanged) -> Any:
    assert event.output_json is not None
    return json.loads(event.output_json)


async def test_a_java_step_completes_and_its_output_feeds_the_next_step(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "extract", input={"output": {"rows": 3}}),
        archive_step(stack, after=["extract"], input={"name": "daily-report"}),
        step(p, "publish", after=["archive"], input={"echo_upstream": True}),
    )
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        assert await watcher.finished([run_id], RUN_TIMEOUT) == {run_id: ["SUCCEEDED"]}
    archived = step_output(watcher.seen.step_events(run_id, "archive")[-1])
    written = Path(archived["archived"]).read_bytes()
    assert archived["bytes"] == len(written)
    assert archived["sha256"] == hashlib.sha256(written).hexdigest()
    assert archived["upstream_steps"] == ["extract"]
    assert json.loads(written)["upstream"] == {"extract": {"rows": 3}}
    # the next step got the Java step's output as its upstream, byte for byte the same JSON
    assert step_output(watcher.seen.step_events(run_id, "publish")[-1]) == {"archive": archived}


async def test_java_results_are_keyed_partitioned_and_traced_as_the_run(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, archive_step(stack, input={"name": "traced"}))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        assert await watcher.finished([run_id], RUN_TIMEOUT) == {run_id: ["SUCCEEDED"]}
    [result] = await java_results(stack, run_id)
    completed = stack.codec.decode_event(result.value, wire.StepCompleted)
    assert (completed.run_id, completed.step, completed.attempt) == (run_id, "archive", 1)
    assert result.partition == murmur2_partition(run_id)  # Java's partitioner is Podium's
    assert header_value(result.headers, "traceparent") == TRACEPARENT  # one run, one trace
    assert header_value(result.headers, wire.RUN_ID) == run_id
    assert header_value(result.headers, wire.STEP) == "archive"
    assert header_value(result.headers, wire.ATTEMPT) == "1"
    seen = watcher.seen
    traces = {
        header_value(h, "traceparent")
        for e, h in zip(seen.events, seen.headers, strict=True)
        if e.run_id == run_id
    }
    assert traces == {TRACEPARENT}  # the run's events after the Java step too
    forwarded = f"of {stack.topics.step_results} to their run's partition"
    assert forwarded not in stack.log("coordinator")  # nothing had to be moved


async def test_a_retryable_java_failure_is_retried_as_declared(stack: Stack) -> None:
    """The run's archive folder is taken by a file: every attempt fails with an I/O
    error (retryable), so the coordinator tries three times, as declared, then fails."""
    p = stack.prefix
    definition = pipeline(
        p,
        archive_step(stack, input={"name": "blocked"}),
        step(p, "never", after=["archive"]),
    )
    await stack.publish(definition)
    run_id = f"run-{uuid.uuid4().hex[:12]}"
    (stack.home / "archive").mkdir(exist_ok=True)
    (stack.home / "archive" / run_id).write_text("a file where the run's folder goes")
    async with EventWatcher(stack) as watcher:
        await stack.request_run(definition.name, run_id=run_id)
        assert await watcher.finished([run_id], RUN_TIMEOUT) == {run_id: ["FAILED"]}
    events = watcher.seen.step_events(run_id, "archive")
    assert [str(e.step_status) for e in events].count("RETRY_WAIT") == 2
    last = events[-1]
    assert str(last.step_status) == "FAILED" and last.attempt == 3
    assert last.error is not None and last.error.retryable
    assert last.error.error_type == "FileAlreadyExistsException"
    assert "RUNNING" not in watcher.seen.step_statuses(run_id, "never")


async def test_invalid_input_fails_the_java_step_at_once(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, archive_step(stack, input={"name": "../../etc/passwd"}))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        assert await watcher.finished([run_id], RUN_TIMEOUT) == {run_id: ["FAILED"]}
    events = watcher.seen.step_events(run_id, "archive")
    assert "RETRY_WAIT" not in [str(e.step_status) for e in events]  # not retryable
    last = events[-1]
    assert last.attempt == 1 and last.error is not None and not last.error.retryable
    assert last.error.error_type == "ValidationError"
    assert "input.name" in last.error.error_message


async def dead_letters(stack: Stack, run_id: str) -> list[DlqEntry]:
    entries = await read_dlqs(stack.settings.client_kwargs(), [f"{stack.step_topic(ARCHIVE)}.dlq"])
    return [entry for entry in entries if entry.run_id == run_id]


async def test_undecodable_requests_are_dead_lettered_and_the_service_keeps_serving(
    stack: Stack,
) -> None:
    run_id = f"bad-{uuid.uuid4().hex[:12]}"
    wrong_type = wire.StepCompleted(
        run_id=run_id, step="archive", attempt=1, completed_at=datetime.now(UTC)
    )
    junk = [
        b"not avro at all",
        b"\xc3\x01\x00",
        stack.codec.encode_event(wrong_type),
        b"\xc3\x01" + bytes(8),
    ]
    async with AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all") as producer:
        for value in junk:
            await producer.send_and_wait(stack.step_topic(ARCHIVE), value, key=run_id.encode())

    async def all_dead_lettered() -> list[DlqEntry] | None:
        found = await dead_letters(stack, run_id)
        return found if len(found) >= len(junk) else None

    entries = await wait_until(all_dead_lettered, timeout=RUN_TIMEOUT, what="junk dead-lettered")
    assert [(e.reason, e.detail) for e in entries] == [
        ("decode", "not-avro-framing"),
        ("decode", "truncated"),
        ("wrong-type", "wrong-event-type"),
        ("schema", "unknown-fingerprint"),
    ]
    assert {e.origin.topic for e in entries if e.origin} == {stack.step_topic(ARCHIVE)}
    assert {e.group for e in entries} == {f"{stack.prefix}-{ARCHIVE}"}
    # still serving: a run through the Java step succeeds after the garbage
    definition = pipeline(stack.prefix, archive_step(stack, input={"name": "after-junk"}))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        after = await stack.request_run(definition.name)
        assert await watcher.finished([after], RUN_TIMEOUT) == {after: ["SUCCEEDED"]}
    assert stack.processes[ARCHIVE].poll() is None
