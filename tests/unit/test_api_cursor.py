"""Page cursors: opaque, URL-safe, read back exactly; anything else refused."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.api._cursor import decode_cursor, encode_cursor

URL_SAFE = set(string.ascii_letters + string.digits + "-_")


@given(st.datetimes(timezones=st.just(UTC)), st.text())
def test_a_cursor_reads_back_as_its_key_and_needs_no_quoting(moment: datetime, run_id: str) -> None:
    cursor = encode_cursor((moment, run_id))
    assert set(cursor) <= URL_SAFE
    assert decode_cursor(cursor) == (moment, run_id)


def test_a_made_up_or_damaged_cursor_is_refused() -> None:
    good = encode_cursor((datetime(2025, 1, 1, tzinfo=UTC), "r1"))
    naive = encode_cursor((datetime(2025, 1, 1), "r1"))  # a key always has a zone
    for bad in ("", "nope", good[:-3], "W10", "WzEsMl0", naive, "%%%"):
        with pytest.raises(ValueError, match="not a cursor"):
            decode_cursor(bad)
