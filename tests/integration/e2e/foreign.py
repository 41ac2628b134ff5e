"""What the end-to-end tests of step services written without Podium's SDK share: the step
that routes to them, the checks that their results reach the run as the SDK's would
(key, partition, headers, trace), and the undecodable records they must dead-letter."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from podium import contract as wire
from podium.codec import Codec
from podium.contract import header_value
from podium.dlq import DlqEntry, read_dlqs
from podium.testing import wait_until
from tests.integration.e2e.pipelines import step
from tests.integration.e2e.stack import TRACEPARENT, RunEvents, Stack, murmur2_partition

UNDECODABLE = [
    ("decode", "not-avro-framing"),
    ("decode", "truncated"),
    ("wrong-type", "wrong-event-type"),
    ("schema", "unknown-fingerprint"),
]
"""The (reason, detail) of each of :func:`junk`'s records once dead-lettered."""


def service_step(stack: Stack, service: str, name: str, **fields: Any) -> dict[str, Any]:
    """A pipeline step served on ``service``'s request topic instead of the worker's."""
    return {
        **step(stack.prefix, name, **fields),
        "service": service,
        "topic": stack.step_topic(service),
    }


async def check_routed_result(
    stack: Stack, seen: RunEvents, run_id: str, step_name: str, *, worker: bytes
) -> wire.StepCompleted:
    """The one StepCompleted ``worker`` sent for ``run_id``: keyed by the run id, on the
    partition Podium's murmur2 gives it (nothing forwarded), with the routing headers and
    the run's trace context; the run's events stay in that trace."""
    [result] = await stack.results_of(run_id, worker=worker)
    completed = stack.codec.decode_event(result.value, wire.StepCompleted)
    assert (completed.run_id, completed.step, completed.attempt) == (run_id, step_name, 1)
    assert result.partition == murmur2_partition(run_id)
    assert header_value(result.headers, "traceparent") == TRACEPARENT  # one run, one trace
    assert header_value(result.headers, wire.RUN_ID) == run_id
    assert header_value(result.headers, wire.STEP) == step_name
    assert header_value(result.headers, wire.ATTEMPT) == "1"
    events = zip(seen.events, seen.headers, strict=True)
    traces = {header_value(h, "traceparent") for e, h in events if e.run_id == run_id}
    assert traces == {TRACEPARENT}
    forwarded = f"of {stack.topics.step_results} to their run's partition"
    assert forwarded not in stack.log("coordinator")
    return completed


def junk(codec: Codec, run_id: str) -> list[bytes]:
    """Values no step service can serve, in :data:`UNDECODABLE`'s order: not framed, cut in
    the header, a result instead of a request, an unknown writer schema."""
    wrong_type = wire.StepCompleted(
        run_id=run_id, step="s", attempt=1, completed_at=datetime.now(UTC)
    )
    return [
        b"not avro at all",
        b"\xc3\x01\x00",
        codec.encode_event(wrong_type),
        b"\xc3\x01" + bytes(8),
    ]


async def send_junk(stack: Stack, service: str, run_id: str) -> list[DlqEntry]:
    """Send :func:`junk` to ``service``'s request topic; its dead letters, once all are there."""
    topic = stack.step_topic(service)
    values = junk(stack.codec, run_id)
    async with AIOKafkaProducer(bootstrap_servers=stack.bootstrap, acks="all") as producer:
        for value in values:
            await producer.send_and_wait(topic, value, key=run_id.encode())

    async def all_dead_lettered() -> list[DlqEntry] | None:
        entries = await read_dlqs(stack.settings.client_kwargs(), [f"{topic}.dlq"])
        found = [entry for entry in entries if entry.run_id == run_id]
        return found if len(found) >= len(values) else None

    return await wait_until(all_dead_lettered, timeout=60, what=f"junk dead-lettered from {topic}")
