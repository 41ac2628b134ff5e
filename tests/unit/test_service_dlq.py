"""Dead letters keep the original bytes and say why, where from."""

from __future__ import annotations

from dataclasses import dataclass, field

from podium.codec import Codec, NotAvroFramingError
from podium.contract import header_value
from podium.service._dlq import dead_letter, dlq_topic


@dataclass
class FakeRecord:
    topic: str = "podium.steps.load"
    partition: int = 2
    offset: int = 41
    key: bytes | None = b"run-1"
    value: bytes | None = b"not avro at all"
    headers: list[tuple[str, bytes]] = field(default_factory=lambda: [("traceparent", b"00-x")])


def test_a_codec_error_becomes_a_dead_letter_with_reason_headers() -> None:
    record = FakeRecord()
    try:
        Codec().decode(record.value)
    except NotAvroFramingError as exc:
        letter = dead_letter(record, exc)
    assert letter.topic == "podium.steps.load.dlq" == dlq_topic(record.topic)
    assert (letter.key, letter.value) == (b"run-1", b"not avro at all")
    assert letter.headers[0] == ("traceparent", b"00-x")
    assert header_value(letter.headers, "podium-dlq-reason") == "decode"
    assert header_value(letter.headers, "podium-dlq-detail") == "not-avro-framing"
    assert header_value(letter.headers, "podium-dlq-original-topic") == "podium.steps.load"
    assert header_value(letter.headers, "podium-dlq-original-partition") == "2"
    assert header_value(letter.headers, "podium-dlq-original-offset") == "41"


def test_an_error_without_reason_is_named_by_class_and_its_message_capped() -> None:
    letter = dead_letter(FakeRecord(), ValueError("y" * 2000))
    assert header_value(letter.headers, "podium-dlq-reason") == "handler"
    assert header_value(letter.headers, "podium-dlq-detail") == "ValueError"
    assert len(header_value(letter.headers, "podium-dlq-error") or "") == 500
