"""The tail of a DLQ: where to read from, the depth, newest first (pure, no Kafka)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from podium.dlq import DlqEntry, dead_letter
from podium.dlq._entry import entry_of
from podium.dlq._tail import Span, newest_first, tail_of, tail_start
from tests.unit.test_dlq import FakeRecord

T0 = datetime(2030, 1, 1, tzinfo=UTC)


def letter(partition: int, offset: int, seconds: int) -> DlqEntry:
    written = dead_letter(FakeRecord(), ValueError("bad"), now=T0 + timedelta(seconds=seconds))
    return entry_of(
        FakeRecord(written.topic, partition, offset, written.key, written.value, written.headers)
    )


@given(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 2000))
def test_a_tail_holds_the_last_limit_offsets_and_never_reads_before_the_start(
    beginning: int, extra: int, limit: int
) -> None:
    end = beginning + extra
    start = tail_start(beginning, end, limit)
    assert beginning <= start <= end
    assert end - start == min(limit, extra)


# per partition: its first offset, and offsets of letters (markers fill the gaps)
partitions = st.dictionaries(
    st.integers(0, 3),
    st.tuples(st.integers(0, 20), st.lists(st.integers(0, 30), unique=True, max_size=12)),
    min_size=1,
)


@given(partitions, st.integers(1, 40), st.data())
def test_depth_counts_letters_where_the_tail_was_whole_else_the_span(
    parts: dict[int, tuple[int, list[int]]], limit: int, data: st.DataObject
) -> None:
    spans: dict[int, Span] = {}
    read: list[DlqEntry] = []
    for p, (beginning, gaps) in parts.items():
        offsets = sorted(beginning + g for g in gaps)
        end = (offsets[-1] + 1 if offsets else beginning) + data.draw(st.integers(0, 2))
        spans[p] = Span(beginning, end, tail_start(beginning, end, limit))
        read += [letter(p, o, data.draw(st.integers(0, 9))) for o in offsets if o >= spans[p].start]
    tail = tail_of("x.dlq", spans, read, limit)
    assert len(tail.letters) == min(limit, len(read))
    assert tail.depth_exact == all(s.start == s.beginning for s in spans.values())
    counted = sum(len(parts[p][1]) for p, s in spans.items() if s.whole)
    assert tail.depth == counted + sum(s.end - s.beginning for s in spans.values() if not s.whole)
    times = [e.failed_at or T0 for e in tail.letters]
    assert times == sorted(times, reverse=True)


def test_the_newest_letter_comes_first_and_a_tie_goes_to_the_later_offset() -> None:
    letters = [letter(0, 1, 5), letter(1, 9, 5), letter(0, 2, 7), letter(0, 0, 1)]
    order = [(e.partition, e.offset) for e in newest_first(letters)]
    assert order == [(0, 2), (1, 9), (0, 1), (0, 0)]
