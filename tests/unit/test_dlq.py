"""Dead letters written, read back, counted and planned for replay, all without Kafka."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

import podium.dlq
import podium.service
from podium.codec import Codec, NotAvroFramingError
from podium.contract import header_value
from podium.dlq import (
    DlqEntry,
    Replay,
    Skip,
    count_by_reason,
    dead_letter,
    entry_table,
    matches,
    plan_replays,
    superseded_by,
)
from podium.dlq._entry import REPLAY_COUNT, REPLAY_OF, Origin, entry_of, human_age, preview

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


@dataclass
class FakeRecord:
    topic: str = "podium.runs"
    partition: int = 1
    offset: int = 41
    key: bytes | None = b"run-1"
    value: bytes | None = b"not avro at all"
    headers: list[tuple[str, bytes]] = field(default_factory=lambda: [("traceparent", b"00-x")])
    timestamp: int = 1_700_000_000_000


def _codec_error() -> NotAvroFramingError:
    try:
        Codec().decode(b"not avro at all")
    except NotAvroFramingError as exc:
        return exc
    raise AssertionError("decoded")


def test_a_dead_letter_says_why_where_from_when_and_by_whom() -> None:
    letter = dead_letter(
        FakeRecord(), _codec_error(), group="podium-coordinator", run_keyed=True, now=NOW
    )
    h = letter.headers
    assert letter.topic == "podium.runs.dlq"
    assert (letter.key, letter.value) == (b"run-1", b"not avro at all")
    assert h[0] == ("traceparent", b"00-x")  # the original headers first, byte for byte
    assert header_value(h, "podium-dlq-reason") == "decode"
    assert header_value(h, "podium-dlq-detail") == "not-avro-framing"
    assert header_value(h, "podium-dlq-error-class") == "NotAvroFramingError"
    assert header_value(h, "podium-dlq-original-topic") == "podium.runs"
    assert header_value(h, "podium-dlq-original-partition") == "1"
    assert header_value(h, "podium-dlq-original-offset") == "41"
    assert header_value(h, "podium-dlq-original-timestamp") == "1700000000000"
    assert header_value(h, "podium-dlq-group") == "podium-coordinator"
    assert header_value(h, "podium-dlq-failed-at") == "2030-01-02T03:04:05.000+00:00"
    assert header_value(h, "podium-dlq-run-id") == "run-1"


def test_the_run_id_comes_from_the_key_only_for_run_keyed_topics_without_the_header() -> None:
    plain = dead_letter(FakeRecord(), ValueError("x"))
    assert header_value(plain.headers, "podium-dlq-run-id") is None
    assert header_value(plain.headers, "podium-dlq-group") is None
    tagged = FakeRecord(headers=[("podium-run-id", b"run-9"), ("podium-step", b"load")])
    entry = _read_back(dead_letter(tagged, ValueError("x"), run_keyed=True))
    assert (entry.run_id, entry.step) == ("run-9", "load")
    binary_key = dead_letter(FakeRecord(key=b"\xff\x00"), ValueError("x"), run_keyed=True)
    assert header_value(binary_key.headers, "podium-dlq-run-id") is None


def test_the_error_message_is_redacted_and_capped() -> None:
    error = RuntimeError("login failed: sasl_plain_password=hunter2 " + "y" * 2000)
    text = header_value(dead_letter(FakeRecord(), error).headers, "podium-dlq-error") or ""
    assert "hunter2" not in text and len(text) == 500 and text.endswith("...")


def test_the_service_sdk_dead_letters_with_the_same_mechanism() -> None:
    from podium.service import _dlq as service_dlq

    assert service_dlq.dead_letter is podium.dlq.dead_letter
    assert service_dlq.send_dead_letter is podium.dlq.send_dead_letter


def _read_back(letter: podium.dlq.DeadLetter, offset: int = 7, partition: int = 0) -> DlqEntry:
    record = FakeRecord(letter.topic, partition, offset, letter.key, letter.value, letter.headers)
    return entry_of(record)


def test_an_entry_read_back_has_its_origin_reason_and_age() -> None:
    entry = _read_back(dead_letter(FakeRecord(), _codec_error(), run_keyed=True, now=NOW))
    assert entry.origin == Origin("podium.runs", 1, 41)
    assert (entry.reason, entry.run_id, entry.replay_count) == ("decode", "run-1", 0)
    assert entry.detail == "not-avro-framing"
    assert entry.preview == "not avro at all" and entry.size == 15
    lines = entry_table([entry], NOW + timedelta(minutes=5))
    assert lines[0].split() == [
        "OFFSET",
        "REASON",
        "ORIGIN",
        "AGE",
        "RUN",
        "STEP",
        "ERROR",
        "PREVIEW",
    ]
    assert "podium.runs[1]@41" in lines[1] and " 5m " in lines[1]


def test_an_entry_without_our_headers_is_still_listed() -> None:
    entry = entry_of(FakeRecord(topic="x.dlq", headers=[], timestamp=-1))
    assert (entry.reason, entry.origin, entry.failed_at) == ("unknown", None, None)


@given(st.none() | st.binary(max_size=3000))
def test_a_preview_is_short_and_printable(value: bytes | None) -> None:
    shown = preview(value)
    assert len(shown) <= 60 and shown.isprintable()


def test_previews_of_text_binary_and_nothing() -> None:
    assert preview(None) == "(tombstone)" and preview(b"") == "(empty)"
    assert preview(b"\xc3\x01" + bytes(40)).startswith("hex:c301")
    assert preview(b"a" * 100).endswith("(100 B)")


def test_filters_by_reason_run_and_offset() -> None:
    entry = _read_back(dead_letter(FakeRecord(), _codec_error(), run_keyed=True), offset=5)
    assert matches(entry) and matches(entry, reason="decode", run_id="run-1")
    assert matches(entry, reason="not-avro-framing")  # the detail matches too
    assert not matches(entry, reason="validation") and not matches(entry, run_id="run-2")
    assert matches(entry, offsets=["5"]) and matches(entry, offsets=["0:5"])
    assert not matches(entry, offsets=["1:5", "6"])


def _candidate(offset: int, record: FakeRecord | None = None) -> tuple[DlqEntry, FakeRecord]:
    letter = dead_letter(record or FakeRecord(), ValueError("x"))
    dlq = FakeRecord(letter.topic, 0, offset, letter.key, letter.value, letter.headers)
    return entry_of(dlq), dlq


def test_a_replay_goes_to_the_original_topic_without_dlq_headers_and_counted() -> None:
    entry, record = _candidate(3)
    (step,) = plan_replays([(entry, record)], {})
    assert isinstance(step, Replay)
    assert (step.topic, step.key, step.value) == ("podium.runs", b"run-1", b"not avro at all")
    assert [k for k, _ in step.headers] == ["traceparent", REPLAY_COUNT, REPLAY_OF]
    assert header_value(step.headers, REPLAY_COUNT) == "1"
    assert header_value(step.headers, REPLAY_OF) == "podium.runs.dlq:0:3"


def test_a_message_replayed_max_times_is_refused() -> None:
    replayed = FakeRecord(headers=[(REPLAY_COUNT, b"2")])
    entry, record = _candidate(3, replayed)
    (refused,) = plan_replays([(entry, record)], {}, max_replays=2)
    assert isinstance(refused, Skip) and refused.kind == "refused"
    (step,) = plan_replays([(entry, record)], {}, max_replays=3)
    assert isinstance(step, Replay) and header_value(step.headers, REPLAY_COUNT) == "3"


def test_superseded_and_twin_dead_letters_are_skipped() -> None:
    first, twin = _candidate(0), _candidate(1)  # the same original record, dead-lettered twice
    again = FakeRecord(offset=99, headers=[(REPLAY_OF, b"podium.runs.dlq:0:5")])
    replayed_entry, replayed_record = _candidate(6, again)
    old = _candidate(5)
    entries = [first[0], twin[0], old[0], replayed_entry]
    plan = plan_replays(
        [first, twin, old, (replayed_entry, replayed_record)], superseded_by(entries)
    )
    kinds = [type(step).__name__ for step in plan]
    assert kinds == ["Replay", "Skip", "Skip", "Replay"]
    assert "podium.runs.dlq:0:0" in plan[1].why  # type: ignore[union-attr]
    assert "podium.runs.dlq:0:6" in plan[2].why  # type: ignore[union-attr]


def test_counts_by_topic_and_reason_with_the_oldest() -> None:
    older = dead_letter(FakeRecord(), _codec_error(), now=NOW - timedelta(hours=2))
    newer = dead_letter(FakeRecord(), _codec_error(), now=NOW)
    other = dead_letter(FakeRecord(), ValueError("x"), now=NOW)
    counts = count_by_reason([_read_back(older), _read_back(newer), _read_back(other)])
    assert [(c.reason, c.count) for c in counts] == [("decode", 2), ("handler", 1)]
    assert counts[0].oldest == NOW - timedelta(hours=2)


def test_ages_read_like_a_person_would_say_them() -> None:
    assert [human_age(s) for s in (None, 5, 300, 7200, 200000)] == ["-", "5s", "5m", "2h", "2d"]


def test_a_preview_masks_a_secret_the_value_quotes() -> None:
    shown = preview(b'{"password": "hunter2hunter2"}')
    assert "hunter2" not in shown and "***" in shown
