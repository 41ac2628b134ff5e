"""Teams' own events start runs through a running coordinator: JSON, Avro with the team's
own schema (applied from a pipeline file beside its .avsc), and Confluent-framed Avro
written by Confluent's own serializer and producer, resolved through a Schema Registry
that goes away for a while without a record being lost: twice, once through the local
registry of tests/schema_registry.py (with basic auth, and counting the coordinator's
requests) and once through a real one, Apicurio Registry's Confluent-compatible API
(deploy/schema-registry/, no auth), on a second coordinator.

What a user notices is checked: the runs and their params, one run for an order
published twice, nothing for events that do not match (counted on ``/metrics``), a
garbage record counted but not dead-lettered on a topic whose trigger declared no DLQ,
and dead-lettered with its reason where it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from podium.dlq import read_dlqs
from podium.testing import wait_until
from tests.brokers import free_port
from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import TRACEPARENT, EventWatcher, RunEvents, Stack
from tests.integration.e2e.test_metrics_e2e import Metrics, parse_metrics
from tests.integration.e2e.test_triggers_e2e import _starts
from tests.schema_registry import ApicurioRegistry, LocalSchemaRegistry
from tests.unit.test_team_events import ORDER, ORDER_PLACED, own_avro

REGISTRY_USER, REGISTRY_PASSWORD = "podium", "registry-pw-e2e"
TIMEOUT = 90.0
TEAM_TOPICS = (
    "orders",
    "orders.dlq",
    "noisy",
    "noisy.dlq",
    "orders-avro",
    "payments",
    "urgent",
    "urgent.dlq",
)
ORDER_PARAMS = {"order_id": {"required": True}, "tier": {}, "customer": {}, "amount": {}}
Registry = LocalSchemaRegistry | ApicurioRegistry


@pytest.fixture(scope="module")
def registry() -> Iterator[LocalSchemaRegistry]:
    with LocalSchemaRegistry(auth=(REGISTRY_USER, REGISTRY_PASSWORD)) as running:
        yield running


@pytest.fixture(scope="module")
def team(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, registry: LocalSchemaRegistry
) -> Iterator[tuple[Stack, int]]:
    """A stack whose coordinator reads the registry and serves /metrics; the teams' topics."""
    home = tmp_path_factory.mktemp("team")
    with _team_stack(kafka_bootstrap, home, registry, TEAM_TOPICS) as team:
        yield team


@contextlib.contextmanager
def _team_stack(
    bootstrap: str, home: Path, registry: Registry, topics: tuple[str, ...]
) -> Iterator[tuple[Stack, int]]:
    stack = make_stack(bootstrap, home)
    asyncio.run(stack.create_own_topics([f"{stack.prefix}.{name}" for name in topics]))
    metrics_port = free_port()
    stack.extra_env.update(
        PODIUM_SCHEMA_REGISTRY__URL=registry.url,
        PODIUM_COORDINATOR__METRICS_PORT=str(metrics_port),
    )
    if registry.auth is not None:
        stack.extra_env.update(
            PODIUM_SCHEMA_REGISTRY__USERNAME=registry.auth[0],
            PODIUM_SCHEMA_REGISTRY__PASSWORD=registry.auth[1],
        )
    with serving(stack):
        yield stack, metrics_port


@pytest.fixture(scope="module", params=["local", "apicurio"])
def confluent(
    request: pytest.FixtureRequest,
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Stack, int, Registry]]:
    """The stack of a Confluent-framed trigger and its registry: the local one (and the
    module's stack), or the real one (a stack of its own, whose coordinator reads it)."""
    if request.param == "local":
        stack, port = request.getfixturevalue("team")
        yield stack, port, request.getfixturevalue("registry")
        return
    real: ApicurioRegistry = request.getfixturevalue("apicurio_registry")
    home = tmp_path_factory.mktemp("apicurio-team")
    with _team_stack(kafka_bootstrap, home, real, ("payments",)) as (stack, port):
        yield stack, port, real


@pytest.fixture
async def producer(team: tuple[Stack, int]) -> AsyncIterator[AIOKafkaProducer]:
    async with AIOKafkaProducer(bootstrap_servers=team[0].bootstrap, acks="all") as started:
        yield started


async def _skipped(port: int, reason: str) -> float:
    def scrape() -> Metrics:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            return parse_metrics(answer.read().decode())

    try:
        metrics = await asyncio.to_thread(scrape)
    except OSError:
        return 0.0
    return metrics.get("podium_trigger_events_skipped_total", {}).get((("reason", reason),), 0.0)


async def _listening(stack: Stack, definition: Any) -> None:
    """Publish, then wait for the coordinator's triggers to subscribe (they follow the registry
    every 2 s; a trigger's ``from: end`` counts events from its first publish on anyway)."""
    await stack.publish(definition)
    await _assigned(stack, definition.triggers[0].topic)


async def _assigned(stack: Stack, topic: str) -> None:
    async def logged() -> bool:
        return f"topic='{topic}'" in stack.log("coordinator")  # "trigger partitions assigned"

    await wait_until(logged, timeout=30, what=f"the triggers read {topic}")


def _params(seen: RunEvents, run_id: str) -> dict[str, Any]:
    start = next(event for event in seen.of(run_id) if event.step is None)
    params: dict[str, Any] = json.loads(start.detail_json or "{}")["params"]
    return params


async def _finished_runs(stack: Stack, name: str, count: int) -> tuple[RunEvents, list[str]]:
    async with EventWatcher(stack) as watcher:
        seen = await watcher.until(
            lambda seen: sum(bool(seen.terminal(r)) for r in _starts(seen, name)) >= count,
            timeout=TIMEOUT,
            what=f"{count} run(s) of {name} finish",
        )
    return seen, sorted(_starts(seen, name))


def _order_json(order_id: str, tier: str) -> bytes:
    return json.dumps({"order_id": order_id, "customer": {"id": "c-1", "tier": tier}}).encode()


async def test_a_json_order_starts_one_run_and_the_rest_is_counted(
    team: tuple[Stack, int], producer: AIOKafkaProducer
) -> None:
    stack, port = team
    topic = f"{stack.prefix}.orders"
    trigger = {
        "type": "event",
        "topic": topic,
        "format": "json",
        "match": {"customer.tier": "gold"},
        "headers": {"ce_type": "com.acme.order.placed"},
        "params": {"order_id": "order_id", "tier": "customer.tier", "customer": "header:x-cust"},
        "key": "field:order_id",
    }
    definition = pipeline(stack.prefix, step(stack.prefix, "ship"), triggers=[trigger],
                          params=ORDER_PARAMS)  # fmt: skip
    await _listening(stack, definition)
    unmatched, undecodable = await _skipped(port, "unmatched"), await _skipped(port, "undecodable")
    placed = [("ce_type", b"com.acme.order.placed"), ("x-cust", b"c-1")]
    placed.append(("traceparent", TRACEPARENT.encode()))
    for _ in range(2):  # the same order published twice: one run
        await producer.send_and_wait(topic, _order_json("A-17", "gold"), headers=placed)
    await producer.send_and_wait(topic, _order_json("B-2", "silver"), headers=placed)
    await producer.send_and_wait(topic, b"\x00 not json at all")
    await producer.send_and_wait(topic, _order_json("C-3", "gold"), headers=placed)

    seen, runs = await _finished_runs(stack, definition.name, 2)
    assert sorted(_params(seen, run)["order_id"] for run in runs) == ["A-17", "C-3"]
    first = next(run for run in runs if _params(seen, run)["order_id"] == "A-17")
    assert _params(seen, first) == {"order_id": "A-17", "tier": "gold", "customer": "c-1"}
    assert seen.terminal(first) == ["SUCCEEDED"]
    await wait_until(
        lambda: _both_above(port, unmatched, undecodable),
        timeout=30,
        what="the silver order counted as unmatched, the garbage as undecodable",
    )
    assert await read_dlqs(stack.settings.client_kwargs(), [f"{topic}.dlq"]) == []


async def _above(port: int, reason: str, before: float) -> bool:
    return await _skipped(port, reason) > before


async def _both_above(port: int, unmatched: float, undecodable: float) -> bool:
    return await _above(port, "unmatched", unmatched) and await _above(
        port, "undecodable", undecodable
    )


async def test_a_declared_dlq_keeps_what_the_trigger_cannot_read(
    team: tuple[Stack, int], producer: AIOKafkaProducer
) -> None:
    stack, _ = team
    topic = f"{stack.prefix}.noisy"
    trigger = {"type": "event", "topic": topic, "format": "json", "dlq": True,
               "params": {"order_id": "order_id"}}  # fmt: skip
    definition = pipeline(stack.prefix, step(stack.prefix, "ship"), triggers=[trigger],
                          params=ORDER_PARAMS)  # fmt: skip
    await _listening(stack, definition)
    await producer.send_and_wait(topic, b"[1, 2, 3]", key=b"k")
    await producer.send_and_wait(topic, _order_json("D-4", "gold"))
    seen, runs = await _finished_runs(stack, definition.name, 1)
    assert [_params(seen, run)["order_id"] for run in runs] == ["D-4"]
    letters = await wait_until(
        lambda: read_dlqs(stack.settings.client_kwargs(), [f"{topic}.dlq"]),
        timeout=30,
        what="the JSON array dead-lettered",
    )
    (letter,) = letters
    assert (letter.reason, letter.detail) == ("decode", "not-json")
    assert "not an object" in letter.error and letter.preview.startswith("[1, 2, 3]")


async def test_an_events_own_field_sets_its_runs_priority(
    team: tuple[Stack, int], producer: AIOKafkaProducer
) -> None:
    """``priority_from``: the event's urgency, else the trigger's priority; an urgency that
    is no integer in range is dead-lettered with the reason, never run at a guessed one."""
    stack, _ = team
    topic = f"{stack.prefix}.urgent"
    trigger = {"type": "event", "topic": topic, "format": "json", "dlq": True, "priority": 2,
               "priority_from": "urgency", "params": {"order_id": "order_id"},
               "key": "field:order_id"}  # fmt: skip
    definition = pipeline(stack.prefix, step(stack.prefix, "ship"), triggers=[trigger],
                          params=ORDER_PARAMS)  # fmt: skip
    await _listening(stack, definition)
    for order in ({"order_id": "U-1", "urgency": 25}, {"order_id": "U-2"},
                  {"order_id": "U-3", "urgency": "high"}):  # fmt: skip
        await producer.send_and_wait(topic, json.dumps(order).encode())
    seen, runs = await _finished_runs(stack, definition.name, 2)
    starts = {_params(seen, run)["order_id"]: _start_detail(seen, run) for run in runs}
    assert starts["U-1"]["priority"] == 25 and starts["U-2"]["priority"] == 2
    letters = await wait_until(
        lambda: read_dlqs(stack.settings.client_kwargs(), [f"{topic}.dlq"]),
        timeout=30,
        what="the order with a bad urgency dead-lettered",
    )
    (letter,) = letters
    assert letter.reason == "validation" and "priority_from urgency" in letter.error
    assert '"high"' in letter.error and '"U-3"' in letter.preview


def _start_detail(seen: RunEvents, run_id: str) -> dict[str, Any]:
    start = next(event for event in seen.of(run_id) if event.step is None)
    detail: dict[str, Any] = json.loads(start.detail_json or "{}")
    return detail


async def test_an_own_schema_avro_event_from_a_pipeline_file(
    team: tuple[Stack, int], producer: AIOKafkaProducer, tmp_path: Path
) -> None:
    stack, _ = team
    topic = f"{stack.prefix}.orders-avro"
    name = f"avro-{stack.prefix}"
    (tmp_path / "OrderPlaced.avsc").write_text(json.dumps(ORDER_PLACED))
    (tmp_path / "orders.yaml").write_text(
        f"name: {name}\nversion: 1\n"
        "params: {order_id: {required: true}, customer: {}, amount: {}}\n"
        f"triggers:\n- type: event\n  topic: {topic}\n  format: avro\n"
        "  schemas: [OrderPlaced.avsc]\n  event: OrderPlaced\n"
        "  params: {order_id: order_id, customer: customer.id, amount: amount}\n"
        f"steps:\n- {json.dumps(step(stack.prefix, 'ship'))}\n"
    )
    file = str(tmp_path / "orders.yaml")
    applied = stack.cli("pipelines", "apply", file, "--topic", stack.topics.pipelines)
    assert applied.returncode == 0, applied.stderr
    await _assigned(stack, topic)
    await producer.send_and_wait(topic, own_avro(ORDER_PLACED, ORDER))
    seen, (run,) = await _finished_runs(stack, name, 1)
    assert _params(seen, run) == {"order_id": "A-17", "customer": "c-9", "amount": "12.50"}
    assert seen.terminal(run) == ["SUCCEEDED"]


def _confluent_bytes(registry: Registry, topic: str, schema: Any, value: Any) -> bytes:
    """A value as a team's producer serializes it: Confluent's serializer, which registers
    the schema under ``<topic>-value``."""
    config = {"url": registry.url}
    if registry.auth is not None:
        config["basic.auth.user.info"] = ":".join(registry.auth)
    with SchemaRegistryClient(config) as client:  # closed: a real registry keeps connections
        data: bytes | None = AvroSerializer(client, json.dumps(schema))(
            value, SerializationContext(topic, MessageField.VALUE)
        )
    assert data is not None
    return data


def _librdkafka_send(stack: Stack, topic: str, key: str, data: bytes) -> None:
    producer = Producer({"bootstrap.servers": stack.bootstrap, "acks": "all"})
    producer.produce(topic, data, key=key.encode())
    assert producer.flush(30) == 0


ORDER_PLACED_V2 = {
    **ORDER_PLACED,
    "fields": [
        *ORDER_PLACED["fields"],
        {"name": "coupon", "type": ["null", "string"], "default": None},
    ],
}


@pytest.mark.timeout(600)  # the first run against the real registry may build it (~50 s)
async def test_a_confluent_framed_event_waits_out_a_registry_outage(
    confluent: tuple[Stack, int, Registry],
) -> None:
    stack, port, registry = confluent
    topic = f"{stack.prefix}.payments"
    trigger = {"type": "event", "topic": topic, "format": "confluent", "event": "OrderPlaced",
               "params": {"order_id": "order_id", "amount": "amount"},
               "key": "field:order_id"}  # fmt: skip
    definition = pipeline(stack.prefix, step(stack.prefix, "ship"), triggers=[trigger],
                          params=ORDER_PARAMS)  # fmt: skip
    await _listening(stack, definition)
    first = await asyncio.to_thread(_confluent_bytes, registry, topic, ORDER_PLACED, ORDER)
    await asyncio.to_thread(_librdkafka_send, stack, topic, "A-17", first)
    seen, (run,) = await _finished_runs(stack, definition.name, 1)
    assert _params(seen, run) == {"order_id": "A-17", "amount": "12.50"}

    # A second schema version, registered while the registry is up; then it goes away
    # before the coordinator has seen a record of it.
    second = {**ORDER, "order_id": "E-5", "coupon": "XMAS"}
    data = await asyncio.to_thread(_confluent_bytes, registry, topic, ORDER_PLACED_V2, second)
    waits = await _skipped(port, "registry_unavailable")
    registry.stop()
    try:
        await asyncio.to_thread(_librdkafka_send, stack, topic, "E-5", data)
        await wait_until(
            lambda: _above(port, "registry_unavailable", waits + 1),
            timeout=30,
            what="the coordinator waits for the registry",
        )
        async with EventWatcher(stack) as watcher:
            assert len(_starts(await watcher.poll(), definition.name)) == 1  # not yet, not lost
    finally:
        registry.start()
    seen, runs = await _finished_runs(stack, definition.name, 2)
    assert sorted(_params(seen, r)["order_id"] for r in runs) == ["A-17", "E-5"]
    if isinstance(registry, LocalSchemaRegistry):  # the local one counts what it was asked
        first_id = int.from_bytes(first[1:5], "big")
        assert registry.state.requests.count(f"GET /schemas/ids/{first_id}") == 1  # cached
