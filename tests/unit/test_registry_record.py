"""The registry's record format: encode/decode round trip, and bad records rejected."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from podium.pipelines import Pipeline, content_hash, load_pipeline_file
from podium.registry import RecordError
from podium.registry._record import FORMAT, HASH_HEADER, decode_record, encode_record, record_key

EXAMPLE = Path(__file__).resolve().parents[2] / "services/examples/pipelines/file_ingest.yaml"
WHEN = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)


def test_example_round_trips_with_a_readable_envelope() -> None:
    pipeline = load_pipeline_file(EXAMPLE)
    record = encode_record(pipeline, WHEN)
    assert record.key == b"file-ingest@2"
    assert record.headers == [(HASH_HEADER, content_hash(pipeline).encode())]
    envelope = json.loads(record.value)  # any tool can read it: plain JSON
    assert envelope["format"] == FORMAT
    assert (envelope["name"], envelope["version"]) == ("file-ingest", 2)
    assert envelope["content_hash"] == content_hash(pipeline)
    assert envelope["published_at"] == "2025-03-01T12:30:00+00:00"
    assert envelope["definition"]["steps"][0]["name"] == "validate"
    decoded = decode_record(record.key, record.value)
    assert decoded.pipeline == pipeline
    assert decoded.content_hash == content_hash(pipeline)
    assert decoded.published_at == WHEN
    assert decoded.key == "file-ingest@2"


def _envelope(**changes: Any) -> bytes:
    record = encode_record(load_pipeline_file(EXAMPLE), WHEN)
    envelope = {**json.loads(record.value), **changes}
    return json.dumps(envelope).encode()


def _definition(**changes: Any) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(encode_record(load_pipeline_file(EXAMPLE), WHEN).value)[
        "definition"
    ]
    return {**definition, **changes}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (b"file-ingest@2", b"\xff\xfe not json", "not a JSON registry envelope"),
        (b"file-ingest@2", b"[1, 2]", "expected an object"),
        (b"file-ingest@2", _envelope(format=2), "unknown envelope format 2"),
        (b"file-ingest@1", _envelope(), "the definition is file-ingest@2"),
        (b"file-ingest@2", _envelope(content_hash="sha256:00"), "does not match"),
        (b"file-ingest@2", _envelope(definition=_definition(max_active_runs=9)), "does not match"),
        (b"file-ingest@2", _envelope(definition={"name": "x"}), "invalid definition"),
        (b"file-ingest@2", _envelope(published_at="yesterday"), "bad published_at"),
    ],
)
def test_bad_records_are_rejected_with_the_reason(key: bytes, value: bytes, message: str) -> None:
    with pytest.raises(RecordError, match=message):
        decode_record(key, value)


def test_a_definition_invalid_under_current_rules_is_rejected() -> None:
    steps = [
        {"name": "a", "service": "s", "after": ["b"]},
        {"name": "b", "service": "s", "after": ["a"]},
    ]
    bad = Pipeline.model_validate({"name": "loop", "version": 1, "steps": steps})
    record = encode_record(bad, WHEN)  # the encoder trusts its caller; the decoder does not
    with pytest.raises(RecordError, match="cycle"):
        decode_record(record.key, record.value)


# --- any valid pipeline survives the trip --------------------------------------------------

NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
KEYS = st.text(max_size=5)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def pipelines(draw: st.DrawFn) -> Pipeline:
    count = draw(st.integers(1, 5))
    steps = [
        {
            "name": f"s{i}",
            "service": draw(NAMES),
            "after": draw(st.lists(st.sampled_from([f"s{j}" for j in range(i)]), unique=True))
            if i
            else [],
            "input": draw(st.dictionaries(st.text(max_size=5), JSON, max_size=3)),
            "timeout": draw(st.sampled_from([1, 2.5, "30s", "5m", "250ms"])),
            "retry": {
                "max_attempts": draw(st.integers(1, 5)),
                "jitter": draw(st.sampled_from([0, 0.5])),
            },
        }
        for i in range(count)
    ]
    raw = {
        "name": draw(NAMES),
        "version": draw(st.integers(1, 10_000)),
        "description": draw(st.text(max_size=20)),
        "steps": steps,
        "max_active_runs": draw(st.none() | st.integers(1, 10)),
    }
    return Pipeline.model_validate(raw)


@settings(max_examples=60, deadline=None)
@given(pipelines(), st.datetimes(timezones=st.just(UTC)))
def test_any_pipeline_round_trips(pipeline: Pipeline, when: datetime) -> None:
    record = encode_record(pipeline, when)
    assert record.key == record_key(pipeline.name, pipeline.version)
    decoded = decode_record(record.key, record.value)
    assert decoded.pipeline == pipeline
    assert decoded.content_hash == content_hash(pipeline)
    assert decoded.published_at == when
