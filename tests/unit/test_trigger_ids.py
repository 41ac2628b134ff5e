"""Deterministic run ids: the same event or tick gives the same id, anything else another."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from podium.triggers._ids import (
    RUN_ID_NAMESPACE,
    cron_run_id,
    event_identity,
    event_run_id,
    tick_text,
)

TICK = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def test_known_values_are_pinned_so_an_upgrade_keeps_deduplicating() -> None:
    # Changing these would make a redelivery after an upgrade start a second run.
    assert uuid.uuid5(uuid.NAMESPACE_URL, "urn:podium:v1:triggered-run") == RUN_ID_NAMESPACE
    expected_event = uuid.uuid5(RUN_ID_NAMESPACE, "event\nfile-ingest\n1\nfile:abc:/a.csv")
    assert event_run_id("file-ingest", 1, "file:abc:/a.csv") == str(expected_event)
    expected_cron = uuid.uuid5(RUN_ID_NAMESPACE, "cron\nnightly\n2\n2025-01-01T12:00:00+00:00")
    assert cron_run_id("nightly", 2, TICK) == str(expected_cron)


def test_ids_are_uuids() -> None:
    assert uuid.UUID(event_run_id("p", 1, "x")).version == 5
    assert uuid.UUID(cron_run_id("p", 1, TICK)).version == 5


def test_a_file_is_identified_by_checksum_and_uri_wherever_it_was_announced() -> None:
    fields = {"uri": "/in/a.csv", "checksum": "sha256:1"}
    first = event_identity(fields, "podium.files.landed", 0, 10)
    again = event_identity(fields, "podium.files.landed", 3, 99)
    assert first == again == "file:sha256:1:/in/a.csv"
    changed = event_identity({**fields, "checksum": "sha256:2"}, "podium.files.landed", 0, 10)
    assert changed != first


def test_without_a_checksum_an_event_is_its_record_position() -> None:
    fields = {"uri": "/in/a.csv", "checksum": None}
    assert event_identity(fields, "landed", 2, 7) == "offset:landed/2/7"
    assert event_identity(fields, "landed", 2, 8) != event_identity(fields, "landed", 2, 7)


def test_a_tick_is_the_same_instant_whatever_its_timezone() -> None:
    paris = TICK.astimezone(timezone(timedelta(hours=1)))
    assert cron_run_id("p", 1, paris) == cron_run_id("p", 1, TICK)
    assert tick_text(paris) == "2025-01-01T12:00:00+00:00"
    assert tick_text(TICK.replace(tzinfo=None)) == tick_text(TICK)


def test_the_schedule_separates_triggers_whose_ticks_coincide() -> None:
    hourly = cron_run_id("p", 1, TICK, schedule="@hourly")
    daily = cron_run_id("p", 1, TICK, schedule="@daily")
    assert hourly != daily
    assert hourly == cron_run_id("p", 1, TICK, schedule=" @hourly ")


names = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
versions = st.integers(min_value=1, max_value=10_000)
identities = st.text(min_size=1, max_size=60)
ticks = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(names, versions, identities)
def test_the_same_event_always_gets_the_same_id(name: str, version: int, identity: str) -> None:
    assert event_run_id(name, version, identity) == event_run_id(name, str(version), identity)


@given(names, versions, identities, identities)
def test_different_events_get_different_ids(name: str, version: int, a: str, b: str) -> None:
    assert (event_run_id(name, version, a) == event_run_id(name, version, b)) == (a == b)


@given(names, versions, versions, identities)
def test_another_version_gets_another_id(name: str, v1: int, v2: int, identity: str) -> None:
    assert (event_run_id(name, v1, identity) == event_run_id(name, v2, identity)) == (v1 == v2)


@given(names, versions, ticks, ticks)
def test_different_ticks_get_different_ids(
    name: str, version: int, a: datetime, b: datetime
) -> None:
    assert (cron_run_id(name, version, a) == cron_run_id(name, version, b)) == (a == b)


@given(names, versions, ticks)
def test_cron_and_event_ids_never_collide(name: str, version: int, tick: datetime) -> None:
    assert cron_run_id(name, version, tick) != event_run_id(name, version, tick_text(tick))
