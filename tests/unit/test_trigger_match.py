"""Event trigger matching: globs on paths, equality on other fields, missing never matches."""

from __future__ import annotations

import string
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from podium.pipelines import EventTrigger
from podium.triggers._match import (
    event_params,
    event_type_matches,
    field_matches,
    is_glob,
    match_event,
)


def trigger(match: dict[str, str] | None = None, **params: str) -> EventTrigger:
    return EventTrigger(topic="podium.files.landed", match=match or {}, params=params)


CSV = trigger({"uri": "*.csv"})


def test_a_glob_matches_the_whole_path_across_slashes() -> None:
    assert match_event(CSV, {"uri": "s3://bucket/in/2025/sales.csv"})
    assert match_event(CSV, {"uri": "file:///data/in/a.csv"})
    assert not match_event(CSV, {"uri": "file:///data/in/a.csv.gz"})
    assert not match_event(CSV, {"uri": "file:///data/in/a.txt"})


def test_globs_are_case_sensitive_on_every_platform() -> None:
    assert not match_event(CSV, {"uri": "/data/A.CSV"})


def test_question_marks_and_sets_are_globs_too() -> None:
    assert match_event(trigger({"uri": "/in/day-?.csv"}), {"uri": "/in/day-1.csv"})
    assert match_event(trigger({"uri": "/in/[ab].csv"}), {"uri": "/in/b.csv"})
    assert not match_event(trigger({"uri": "/in/[ab].csv"}), {"uri": "/in/c.csv"})


def test_a_pattern_without_glob_characters_is_plain_equality() -> None:
    landing = trigger({"source": "sftp-landing"})
    assert match_event(landing, {"source": "sftp-landing"})
    assert not match_event(landing, {"source": "sftp-landing-2"})
    assert not match_event(landing, {"source": "SFTP-landing"})


def test_non_string_values_compare_as_text() -> None:
    assert match_event(trigger({"size_bytes": "42"}), {"size_bytes": 42})
    assert match_event(trigger({"size_bytes": "4*"}), {"size_bytes": 42})
    assert match_event(trigger({"archived": "true"}), {"archived": True})
    assert not match_event(trigger({"archived": "True"}), {"archived": True})


def test_a_missing_or_null_field_never_matches_even_a_match_all_glob() -> None:
    anything = trigger({"checksum": "*"})
    assert not match_event(anything, {"uri": "/a.csv"})
    assert not match_event(anything, {"uri": "/a.csv", "checksum": None})
    assert match_event(anything, {"checksum": ""})


def test_every_entry_must_hold() -> None:
    both = trigger({"uri": "*.csv", "source": "sftp"})
    assert match_event(both, {"uri": "/a.csv", "source": "sftp"})
    assert not match_event(both, {"uri": "/a.csv", "source": "s3"})


def test_no_match_entries_take_every_event() -> None:
    assert match_event(trigger(), {})


def test_event_type_by_short_or_full_name() -> None:
    assert event_type_matches(CSV, "podium.v1.FileLanded")
    assert event_type_matches(CSV, "FileLanded")
    full = EventTrigger(topic="t", event="podium.v1.FileLanded")
    assert event_type_matches(full, "podium.v1.FileLanded")
    assert not event_type_matches(CSV, "podium.v1.RunRequested")


def test_params_map_event_fields_and_skip_missing_ones() -> None:
    mapping = trigger(uri="uri", size_bytes="size_bytes", owner="owner")
    fields: dict[str, Any] = {"uri": "/a.csv", "size_bytes": 10, "owner": None}
    assert event_params(mapping, fields) == {"uri": "/a.csv", "size_bytes": 10}


plain_text = st.text(alphabet=string.ascii_letters + string.digits + "/._-:", max_size=30)


@given(plain_text)
def test_a_plain_value_matches_itself_and_only_itself(value: str) -> None:
    assert field_matches(value, value)
    assert not field_matches(value, value + "x")


@given(plain_text, plain_text)
def test_star_prefix_and_suffix_globs_are_endswith_and_startswith(head: str, tail: str) -> None:
    assert field_matches("*" + tail, head + tail)
    assert field_matches(head + "*", head + tail)
    assert field_matches("*", head + tail)


@given(st.dictionaries(plain_text, plain_text, max_size=4), plain_text)
def test_a_field_absent_from_the_event_defeats_any_pattern(
    fields: dict[str, str], pattern: str
) -> None:
    absent = "absent-" + "".join(sorted(fields))
    assert not match_event(trigger({absent: pattern or "*"}), fields)


@given(st.text(max_size=20))
def test_is_glob_exactly_when_a_glob_character_appears(pattern: str) -> None:
    assert is_glob(pattern) == any(c in pattern for c in "*?[")
