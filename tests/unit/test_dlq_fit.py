"""Dead letters that always fit: a record at the broker's limit is cut, never refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import header_value
from podium.dlq import Skip, dead_letter, plan_replays
from podium.dlq._entry import entry_of
from podium.dlq._fit import MAX_KEY_BYTES, TRUNCATED, fit_letter, letter_size
from podium.dlq._letter import REASON

LIMIT = 1024 * 1024
ADDED = [(REASON, b"decode"), ("podium-dlq-error", b"e" * 300)]


@dataclass
class Record:
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    key: bytes | None = b"run-1"
    topic: str = "podium.runs"
    partition: int = 0
    offset: int = 7


sizes = st.integers(min_value=0, max_value=LIMIT + 4096)
header_lists = st.lists(
    st.tuples(st.sampled_from(["traceparent", "team", "junk"]), st.binary(max_size=64)).map(
        lambda h: (h[0], h[1] * 4096)
    ),
    max_size=300,
)


@given(sizes, header_lists, st.integers(min_value=0, max_value=MAX_KEY_BYTES * 2))
def test_every_letter_fits_and_keeps_its_reason_headers(
    value_size: int, headers: list[tuple[str, bytes]], key_size: int
) -> None:
    key, value = b"k" * key_size, b"v" * value_size
    out_key, out_value, out_headers = fit_letter(key, value, headers, ADDED, LIMIT)
    assert letter_size(out_key, out_value, out_headers) <= LIMIT
    assert all(h in out_headers for h in ADDED)
    whole = letter_size(key, value, headers + ADDED) <= LIMIT
    note = header_value(out_headers, TRUNCATED)
    if whole:  # a letter that fits is the record, byte for byte, with nothing noted
        assert (out_key, out_value, out_headers) == (key, value, headers + ADDED)
    else:  # cut, and saying so; what is kept is the record's beginning, in order
        assert note
        assert out_value is not None and value.startswith(out_value)
        assert out_key is not None and key.startswith(out_key)
        kept = [h for h in out_headers if h not in ADDED and h[0] != TRUNCATED]
        assert _is_subsequence(kept, headers)


def _is_subsequence(part: list[tuple[str, bytes]], whole: list[tuple[str, bytes]]) -> bool:
    items = iter(whole)
    return all(any(item == wanted for item in items) for wanted in part)


def test_a_record_at_the_brokers_limit_is_dead_lettered_cut_and_says_how_much() -> None:
    record = Record(b"x" * (LIMIT - 100), [("traceparent", b"00-abc")])
    letter = dead_letter(record, ValueError("no"), max_bytes=LIMIT)
    note = header_value(letter.headers, TRUNCATED)
    assert note is not None and f"value cut from {LIMIT - 100} to" in note
    assert ("traceparent", b"00-abc") in letter.headers
    assert header_value(letter.headers, REASON) == "handler"
    assert letter_size(letter.key, letter.value, letter.headers) <= LIMIT


def test_a_header_that_fills_the_record_is_dropped_and_counted() -> None:
    record = Record(b"small", [("junk", b"j" * LIMIT), ("traceparent", b"00-abc")])
    letter = dead_letter(record, ValueError("no"), max_bytes=LIMIT)
    note = header_value(letter.headers, TRUNCATED)
    assert note == f"1 of 2 headers dropped ({LIMIT + 4 + 5} bytes)"
    assert ("traceparent", b"00-abc") in letter.headers and letter.value == b"small"


def test_a_cut_dead_letter_is_never_replayed() -> None:
    record = Record(b"x" * LIMIT, [("traceparent", b"00-abc")])
    letter = dead_letter(record, ValueError("no"), max_bytes=LIMIT)
    dlq = Record(letter.value, list(letter.headers), letter.key, letter.topic, 0, 3)
    entry = entry_of(dlq)
    assert entry.truncated
    (step,) = plan_replays([(entry, dlq)], {})
    assert isinstance(step, Skip) and step.kind == "refused" and "cut to fit" in step.why
