"""How a trigger topic's record is read when its triggers ask for several formats."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from podium.codec import Codec
from podium.events import SchemaRegistryUnavailable, confluent_frame
from podium.pipelines import EventFormat, EventTrigger
from podium.triggers._read import RecordReader, header_texts
from tests.unit.test_team_events import ORDER, ORDER_PLACED, own_avro

CODEC = Codec()
JSON = EventTrigger(topic="orders", format=EventFormat.JSON)
AVRO = EventTrigger(topic="orders", format=EventFormat.AVRO, schemas=(ORDER_PLACED,))


def record(value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> Any:
    return SimpleNamespace(
        topic="orders", partition=0, offset=5, value=value, timestamp=1, headers=headers or []
    )


async def test_a_topic_with_json_and_avro_records_reads_each_in_its_format() -> None:
    reader = RecordReader(CODEC)
    as_json = await reader.read(record(b'{"order_id": "A"}'), [JSON, AVRO])
    as_avro = await reader.read(record(own_avro(ORDER_PLACED, ORDER)), [JSON, AVRO])
    assert [s.format for s in as_json.sources] == [EventFormat.JSON]
    assert [s.format for s in as_avro.sources] == [EventFormat.AVRO]
    assert as_json.undecodable is None and as_avro.undecodable is None


async def test_a_record_no_format_reads_is_dead_lettered_only_where_declared() -> None:
    reader = RecordReader(CODEC)
    quiet = await reader.read(record(b"\x01garbage"), [JSON, AVRO])
    assert quiet.undecodable is not None and quiet.undecodable.reason == "not-json"
    assert not quiet.dead_letter
    declared = EventTrigger(topic="orders", format=EventFormat.JSON, dlq=True)
    loud = await reader.read(record(b"\x01garbage"), [declared])
    assert loud.dead_letter


async def test_podiums_own_events_dead_letter_by_default() -> None:
    reading = await RecordReader(CODEC).read(
        record(b"not avro"), [EventTrigger(topic="podium.files.landed")]
    )
    assert reading.undecodable is not None and reading.undecodable.reason == "not-avro-framing"
    assert reading.dead_letter


async def test_a_confluent_record_without_a_registry_is_kept_not_lost() -> None:
    trigger = EventTrigger(topic="orders", format=EventFormat.CONFLUENT)
    with pytest.raises(SchemaRegistryUnavailable, match="PODIUM_SCHEMA_REGISTRY__URL"):
        await RecordReader(CODEC).read(record(confluent_frame(1, b"")), [trigger])


def test_headers_are_text_and_the_last_of_a_name_wins() -> None:
    headers = [("a", b"1"), ("b", b"\xff"), ("a", b"2"), ("c", None)]
    assert header_texts(headers) == {"a": "2", "b": "\ufffd", "c": ""}  # type: ignore[arg-type]
