"""The codec through a real broker: every event, old writers, and every decode error.

Each test uses its own random topic; values are produced with aiokafka exactly
as services will, read back, and decoded from the bytes the broker returned.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from podium.codec import (
    Codec,
    CodecError,
    CorruptMessageError,
    NotAvroFramingError,
    SchemaRegistry,
    SchemaResolutionError,
    TruncatedMessageError,
    UnknownFingerprintError,
    WrongEventTypeError,
    frame,
)
from podium.codec._avro import encode_body
from podium.codec._codec import Expected
from podium.codec.strategies import SAMPLE_TIME as T0
from podium.codec.strategies import sample_events
from podium.contract import EVENT_TYPES, FileLanded, StepCompleted, StepFailed
from podium.testing import random_topic_name, wait_until

CODEC = Codec()


@pytest.fixture
async def topic(kafka_bootstrap: str) -> AsyncIterator[str]:
    name = random_topic_name("codec")
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def through_broker(bootstrap: str, topic: str, values: list[bytes | None]) -> list[Any]:
    """Produce ``values`` in order and return the values the broker hands back."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value=value, key=b"run-1")
    finally:
        await producer.stop()
    return await consume(bootstrap, topic, len(values))


async def consume(bootstrap: str, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    received: list[Any] = []
    try:

        async def all_received() -> bool:
            batches = await consumer.getmany(timeout_ms=200)
            received.extend(m.value for batch in batches.values() for m in batch)
            return len(received) >= count

        await wait_until(all_received, timeout=30, what=f"{count} messages on {topic}")
    finally:
        await consumer.stop()
    return received


async def test_every_event_type_round_trips_through_the_broker(
    kafka_bootstrap: str, topic: str
) -> None:
    events = sample_events()
    assert {type(e) for e in events} == set(EVENT_TYPES)
    received = await through_broker(kafka_bootstrap, topic, [CODEC.encode_event(e) for e in events])
    assert [
        CODEC.decode_event(value, type(e)) for value, e in zip(received, events, strict=True)
    ] == events
    assert [CODEC.decode_event(value) for value in received] == events


async def test_an_old_writer_is_read_by_the_new_reader_through_the_broker(
    kafka_bootstrap: str, topic: str
) -> None:
    registry = CODEC.registry
    old_completed = registry.history("StepCompleted")[0]
    old_file = registry.history("FileLanded")[0]
    step: dict[str, Any] = {
        "run_id": "run-1",
        "step": "load",
        "attempt": 1,
        "output_json": "7",
        "completed_at": T0,
    }
    file: dict[str, Any] = {"uri": "file:///in/a.csv", "size_bytes": 10, "landed_at": T0}
    values: list[bytes | None] = [
        frame(old_completed.fingerprint, encode_body(old_completed.parsed, step)),
        frame(old_file.fingerprint, encode_body(old_file.parsed, file)),
    ]
    received = await through_broker(kafka_bootstrap, topic, values)
    completed = CODEC.decode(received[0], StepCompleted)
    assert completed.writer_version == "v1"
    assert CODEC.decode_event(received[0], StepCompleted) == StepCompleted(**step)
    assert CODEC.decode_event(received[1], FileLanded) == FileLanded(**file)
    assert CODEC.decode_event(received[1], FileLanded).content_type is None


def incompatible_codec(directory: Path) -> Codec:
    def thing(kind: str) -> str:
        fields = [{"name": "size", "type": kind, "doc": "d"}]
        return json.dumps({"type": "record", "name": "Thing", "namespace": "t", "fields": fields})

    (directory / "history").mkdir()
    (directory / "Thing.avsc").write_text(thing("int"))
    (directory / "history" / "Thing.v1.avsc").write_text(thing("string"))
    return Codec(SchemaRegistry.load(directory))


async def test_every_decode_error_for_bytes_read_back_from_the_broker(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    good = CODEC.encode_event(sample_events()[3])  # a StepCompleted
    state = CODEC.registry.current("StepStatus")
    things = incompatible_codec(tmp_path)
    old_thing = things.registry.history("Thing")[0]
    cases: list[tuple[bytes | None, type[CodecError], Codec]] = [
        (None, NotAvroFramingError, CODEC),
        (b"", NotAvroFramingError, CODEC),
        (b'{"run_id": "run-1"}', NotAvroFramingError, CODEC),
        (frame(b"\x01" * 8, b"\x00"), UnknownFingerprintError, CODEC),
        (good[:-3], TruncatedMessageError, CODEC),
        (good[:6], TruncatedMessageError, CODEC),
        (good, WrongEventTypeError, CODEC),
        (good + b"\x00", CorruptMessageError, CODEC),
        (frame(state.fingerprint, b"\x7e"), CorruptMessageError, CODEC),
        (frame(old_thing.fingerprint, encode_body(old_thing.parsed, {"size": "x"})),
         SchemaResolutionError, things),
    ]  # fmt: skip
    received = await through_broker(kafka_bootstrap, topic, [value for value, _, _ in cases])
    assert received == [value for value, _, _ in cases]
    for value, (_, error, codec) in zip(received, cases, strict=True):
        expected: Expected = None
        if error is WrongEventTypeError:
            expected = {StepFailed, "podium.v1.StepStatus"}
        with pytest.raises(error) as info:
            codec.decode(value, expected)
        assert info.value.reason == error.reason
