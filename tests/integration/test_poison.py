"""Poison against the real broker: a handler's PoisonMessage (dead-lettered and failed for
good, so the run fails now instead of at the step's deadline), and unusable registry
records dead-lettered once however many readers meet them.

``poison`` below is also a step service for the end-to-end test, started as
``podium service tests.integration.test_poison:poison`` on the stack's topics.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.contract import StepFailed, header_value
from podium.dlq import read_dlq
from podium.pipelines import Pipeline
from podium.registry import PipelineRegistry
from podium.registry._record import encode_record
from podium.service import PoisonMessage, Service, StepContext
from podium.service.testing import make_request
from podium.testing import random_topic_name, wait_until
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack
from tests.integration.test_service import ServiceKafka, kafka, running

__all__ = ["kafka"]

PREFIX = os.environ.get("PODIUM_TEST_PREFIX", "e2e")
poison = Service(
    "poison",
    request_topic=f"{PREFIX}.steps.poison",
    results_topic=os.environ.get("PODIUM_TOPICS__STEP_RESULTS", "podium.step.results"),
    group_id=f"{PREFIX}-poison",
)
WHY = "order 17 references a deleted customer"


@poison.default
async def refuse(input: Any, ctx: StepContext) -> None:
    raise PoisonMessage(WHY)


# -- the SDK ------------------------------------------------------------------------------------


async def test_a_poison_request_is_dead_lettered_and_fails_the_step_for_good(
    kafka: ServiceKafka,
) -> None:
    request = make_request("anything", run_id="run-poison")
    async with running(kafka.service(poison), kafka) as runner:
        await kafka.send(request, [("traceparent", b"00-ab-cd-01")])
        [result] = await kafka.results(1)
        [letter] = await kafka.read(f"{kafka.request_topic}.dlq", 1)

        async def committed() -> bool:
            return await kafka.committed() == 1

        await wait_until(committed, timeout=30, what="the poison request's offset committed")
    failed = result.event
    assert isinstance(failed, StepFailed)
    assert (failed.error_type, failed.error_message, failed.retryable) == (
        "PoisonMessage",
        WHY,
        False,
    )
    assert letter.value == kafka.codec.encode_event(request)  # the request, byte for byte
    headers = list(letter.headers)
    assert headers[0] == ("traceparent", b"00-ab-cd-01")
    assert header_value(headers, "podium-dlq-reason") == "handler"
    assert header_value(headers, "podium-dlq-detail") == "PoisonMessage"
    assert header_value(headers, "podium-dlq-error") == WHY
    assert header_value(headers, "podium-dlq-run-id") == "run-poison"
    assert (runner.stats.poisoned, runner.stats.dead_lettered, runner.stats.failed) == (1, 1, 1)


# -- end to end: the run fails now, not at the deadline -----------------------------------------


@pytest.fixture
def poison_stack(kafka_bootstrap: str, tmp_path: Path) -> Iterator[Stack]:
    stack = make_stack(kafka_bootstrap, tmp_path)
    asyncio.run(stack.create_topics(services=["poison"]))  # its request topic and DLQ
    try:
        yield stack
    finally:
        stack.stop_all()


async def test_a_poison_step_fails_its_run_at_once_and_its_request_waits_in_the_dlq(
    poison_stack: Stack,
) -> None:
    stack, p = poison_stack, poison_stack.prefix
    target = step(p, "charge", service="poison", topic=f"{p}.steps.poison", timeout="5m")
    doomed = pipeline(p, target)
    await stack.publish(doomed)
    stack.start_coordinator()
    stack.start("poison", "service", "tests.integration.test_poison:poison")
    async with EventWatcher(stack) as watcher:
        started = time.monotonic()
        run_id = await stack.request_run(doomed.name)
        seen = await watcher.until(lambda s: s.terminal(run_id), timeout=90, what=f"{run_id} fails")
    assert seen.terminal(run_id) == ["FAILED"]
    assert time.monotonic() - started < 90  # long before the 5 minute deadline
    errors = [e.error for e in seen.step_events(run_id, "charge") if e.error is not None]
    assert [(e.error_type, e.retryable) for e in errors] == [("PoisonMessage", False)]
    topic = f"{p}.steps.poison.dlq"
    entries, _ = await read_dlq(stack.settings.client_kwargs(), topic)
    assert [(e.reason, e.detail, e.run_id, e.step) for e in entries] == [
        ("handler", "PoisonMessage", run_id, "charge")
    ]


# -- the pipeline registry ----------------------------------------------------------------------


@pytest.fixture
async def registry_topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    name = random_topic_name("registry-poison")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        compact = {"cleanup.policy": "compact"}
        await admin.create_topics(
            [NewTopic(name, 1, 1, topic_configs=compact), NewTopic(f"{name}.dlq", 1, 1)]
        )
        yield name
        await admin.delete_topics([name, f"{name}.dlq"])
    finally:
        await admin.close()


def _definition(name: str) -> Pipeline:
    return Pipeline.model_validate(
        {"name": name, "version": 1, "steps": [{"name": "a", "service": "s"}]}
    )


async def test_unusable_registry_records_go_to_the_dlq_once_however_many_readers(
    kafka_bootstrap: str, registry_topic: str
) -> None:
    kwargs: dict[str, Any] = {"bootstrap_servers": kafka_bootstrap}
    good = encode_record(_definition("good"), datetime.now(UTC))
    invalid = json.loads(encode_record(_definition("bad"), datetime.now(UTC)).value)
    invalid["definition"]["steps"][0]["after"] = ["nowhere"]
    async with AIOKafkaProducer(**kwargs, acks="all") as producer:
        await producer.send_and_wait(registry_topic, b"\xffgarbage", key=b"junk@1")
        await producer.send_and_wait(registry_topic, json.dumps(invalid).encode(), key=b"bad@1")
        await producer.send_and_wait(registry_topic, good.value, key=good.key)
    for written in (2, 0):  # the second reader finds both already there
        async with PipelineRegistry(kwargs, registry_topic, dead_letter=True) as registry:
            assert registry.get("good").name == "good" and registry.stats.skipped == 2
            assert registry.dead_letters is not None
            await asyncio.wait_for(registry.dead_letters.join(), 60)
            assert registry.dead_letters.written == written
    entries, _ = await read_dlq(kwargs, f"{registry_topic}.dlq")
    assert sorted((e.reason, e.origin.offset if e.origin else -1) for e in entries) == [
        ("decode", 0),
        ("validation", 1),
    ]


BROKER_LIMIT = 1_048_588  # the broker's message.max.bytes default


async def test_hostile_registry_records_are_dead_lettered_and_the_registry_still_loads(
    kafka_bootstrap: str, registry_topic: str
) -> None:
    """Deep JSON, a 10,000-digit integer, a record at the broker's size limit and headers
    that fill one: each is one dead letter (the last two cut to fit, and saying so), and
    the good definition beside them loads."""
    kwargs: dict[str, Any] = {"bootstrap_servers": kafka_bootstrap}
    good = encode_record(_definition("good"), datetime.now(UTC))
    deep = b'{"format": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    huge_int = b'{"format": ' + b"9" * 10_000 + b"}"
    at_limit = b"\xff" * (BROKER_LIMIT - 300)
    junk = [("junk", b"j" * (BROKER_LIMIT - 400))]
    async with AIOKafkaProducer(**kwargs, acks="all", max_request_size=2_000_000) as producer:
        await producer.send_and_wait(registry_topic, deep, key=b"deep@1")
        await producer.send_and_wait(registry_topic, huge_int, key=b"int@1")
        await producer.send_and_wait(registry_topic, at_limit, key=b"big@1")
        await producer.send_and_wait(registry_topic, b"\xff", key=b"hdr@1", headers=junk)
        await producer.send_and_wait(registry_topic, good.value, key=good.key)
    async with PipelineRegistry(kwargs, registry_topic, dead_letter=True) as registry:
        assert registry.get("good").name == "good" and registry.stats.skipped == 4
        assert registry.dead_letters is not None
        await asyncio.wait_for(registry.dead_letters.join(), 60)
        assert registry.dead_letters.written == 4
    entries, _ = await read_dlq(kwargs, f"{registry_topic}.dlq")
    fates = sorted((e.origin.offset if e.origin else -1, e.reason, e.truncated) for e in entries)
    assert [(offset, reason) for offset, reason, _ in fates] == [(i, "decode") for i in range(4)]
    assert fates[0][2] is None and fates[1][2] is None
    assert fates[2][2] is not None and "value cut from" in fates[2][2]
    assert fates[3][2] is not None and "1 of 1 headers dropped" in fates[3][2]
