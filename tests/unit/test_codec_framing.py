"""Single-object framing: header layout and the fingerprint's byte order (Avro spec)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.codec import (
    HEADER_SIZE,
    MAGIC,
    NotAvroFramingError,
    TruncatedMessageError,
    frame,
    unframe,
)
from podium.codec._framing import fingerprint_bytes, fingerprint_int
from podium.codec._standalone import canonical_form

EMPTY64 = 0xC15D213AA4D7A795


def spec_fingerprint64(text: str) -> int:
    """The Avro specification's reference CRC-64-AVRO ("Schema Fingerprints"), as an int."""
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY64 & -(fp & 1))
        table.append(fp)
    fp = EMPTY64
    for byte in text.encode():
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize(
    "schema",
    [
        "int",
        "string",
        {"type": "record", "name": "a.R", "fields": [{"name": "x", "type": "long"}]},
        {"type": "enum", "name": "E", "symbols": ["A", "B"]},
    ],
)
def test_fingerprint_bytes_are_the_spec_int_little_endian(schema: object) -> None:
    form = canonical_form(schema)
    expected = spec_fingerprint64(form).to_bytes(8, "little")
    assert fingerprint_bytes(form) == expected
    assert fingerprint_int(expected) == spec_fingerprint64(form)


def test_frame_layout_is_magic_then_fingerprint_then_body() -> None:
    fp = bytes(range(8))
    assert frame(fp, b"body") == b"\xc3\x01" + fp + b"body"


def test_frame_refuses_a_fingerprint_of_the_wrong_size() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        frame(b"\x01\x02", b"")


@given(fp=st.binary(min_size=8, max_size=8), body=st.binary())
def test_unframe_inverts_frame(fp: bytes, body: bytes) -> None:
    split = unframe(frame(fp, body))
    assert (split.fingerprint, split.body) == (fp, body)
    assert split.fingerprint_hex == fp.hex()


@pytest.mark.parametrize(
    ("value", "words"),
    [(None, "tombstone"), (b"", "empty"), (b"\x00\x00\x00\x01", "C3 01"), (b"\xc3", "too short")],
)
def test_values_that_are_not_single_object_framed(value: bytes | None, words: str) -> None:
    with pytest.raises(NotAvroFramingError) as info:
        unframe(value)
    assert info.value.reason == "not-avro-framing"
    assert words in str(info.value)


@given(size=st.integers(len(MAGIC), HEADER_SIZE - 1))
def test_a_header_cut_short_is_truncated(size: int) -> None:
    with pytest.raises(TruncatedMessageError, match="header"):
        unframe(frame(b"\xff" * 8, b"x")[:size])


@given(st.binary())
def test_unframe_never_raises_anything_else(data: bytes) -> None:
    with contextlib.suppress(NotAvroFramingError, TruncatedMessageError):
        unframe(data)


def test_unframe_accepts_memoryview_and_bytearray() -> None:
    value = frame(b"\x01" * 8, b"\x02")
    assert unframe(memoryview(value)).body == unframe(bytearray(value)).body == b"\x02"
