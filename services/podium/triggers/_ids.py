"""Deterministic run ids for triggered runs (pure).

A trigger never decides whether a run already exists: it produces a
RunRequested keyed by a run id derived only from what identifies the run, and
the coordinator's idempotent start ignores a second RunRequested with the same
id. So the same event delivered twice, or the same cron tick seen by several
coordinator instances, becomes one run without any coordination between them.

Ids are UUIDv5 under :data:`RUN_ID_NAMESPACE` over a newline-joined text of
kind, pipeline name, version and identity. Changing the namespace or the text
layout would let redeliveries after an upgrade start second runs, so
``tests/unit/test_trigger_ids.py`` pins known values.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:podium:v1:triggered-run")
"""The UUIDv5 namespace of triggered run ids (never change it)."""


def _run_id(*parts: str) -> str:
    return str(uuid.uuid5(RUN_ID_NAMESPACE, "\n".join(parts)))


def event_identity(record: Mapping[str, Any], topic: str, partition: int, offset: int) -> str:
    """What makes an event "the same event", as text.

    - With a ``checksum`` and a ``uri`` (FileLanded carries both): the content
      and place of the file. The same file announced twice (a retried upload,
      two watchers, a replayed topic) then starts one run, whatever offsets the
      announcements got. A changed file has a new checksum, so it runs again.
    - Otherwise the record's position ``topic/partition/offset``: a redelivery
      of the same record (a crash before the offset commit, a rebalance) starts
      one run, while two separate events with equal fields start two.
    """
    checksum, uri = record.get("checksum"), record.get("uri")
    if checksum and uri:
        return f"file:{checksum}:{uri}"
    return record_identity(topic, partition, offset)


def record_identity(topic: str, partition: int, offset: int) -> str:
    """A record's position as identity: its redeliveries are one event, nothing else is."""
    return f"offset:{topic}/{partition}/{offset}"


def value_text(value: Any) -> str:
    """A value as the text identities and correlations compare: scalars as their text
    (``true``, ``42``), objects and lists as sorted compact JSON."""
    if isinstance(value, Mapping | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def keyed_identity(key: str, value: Any) -> str:
    """The identity of an event under a trigger's ``key`` (``field:order_id``) and the
    value found there: the same order announced twice, on any offset, is one event."""
    return f"key:{key}={value_text(value)}"


def event_run_id(pipeline: str, version: int | str, event_identity: str) -> str:
    """The run id of ``pipeline@version`` started by the event ``event_identity``.

    The version is part of it: after a new version is published, a redelivered
    event would start a run of the new version (the old run is not touched).
    """
    return _run_id("event", pipeline, str(version), event_identity)


def tick_text(tick: datetime) -> str:
    """A tick as ISO 8601 UTC text (``2025-01-01T00:00:00+00:00``); naive means UTC."""
    aware = tick if tick.tzinfo is not None else tick.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def cron_run_id(
    pipeline: str, version: int | str, tick: datetime, *, schedule: str | None = None
) -> str:
    """The run id of ``pipeline@version`` for the cron tick ``tick``.

    ``schedule`` separates two cron triggers of one pipeline whose ticks
    coincide (``@hourly`` and ``@daily`` at midnight): with it they are two
    runs; without it (or with two identical schedules) they are one.
    """
    parts = ["cron", pipeline, str(version), tick_text(tick)]
    return _run_id(*parts, schedule.strip()) if schedule else _run_id(*parts)
