"""Reading requests: JSON bodies and query strings to typed values, or a 400 naming the field.

Pure: each function takes what the request carried and returns values or
raises :class:`ApiError`, so the rules are tested without a server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from podium._json_limits import read_json
from podium.api._cursor import RunKey, decode_cursor
from podium.api._errors import ApiError
from podium.contract import RunStatus
from podium.pipelines import PRIORITY_RANGE
from podium.runs import DEFAULT_LIMIT, MAX_LIMIT

RUN_FIELDS = ("pipeline", "version", "params", "idempotency_key", "priority")
MAX_KEY_LENGTH = 256


@dataclass(frozen=True)
class RunBody:
    """The body of ``POST /v1/runs``."""

    pipeline: str
    version: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    idempotency_key: str | None = None
    priority: int = 0


@dataclass(frozen=True)
class RunQuery:
    """The query of ``GET /v1/runs``: which runs, how many, and after which page."""

    wanted: dict[str, Any] = field(default_factory=dict)
    """The filters, as the read model's ``page`` takes them (None: not filtered)."""
    limit: int = DEFAULT_LIMIT
    before: RunKey | None = None
    """The key the cursor ``before`` names: the page starts just older than it."""


def json_object(raw: bytes, allowed: tuple[str, ...]) -> dict[str, Any]:
    """``raw`` as a JSON object with only ``allowed`` keys; an empty body is ``{}``."""
    if not raw.strip():
        return {}
    try:
        data = read_json(raw, parse_constant=_no_constant)
    except ValueError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}", "body") from exc
    if not isinstance(data, dict):
        raise ApiError(400, f"expected a JSON object, got {_kind(data)}", "body")
    for key in data:
        if key not in allowed:
            raise ApiError(400, f"unknown field (allowed: {', '.join(allowed)})", key)
    return data


def parse_run_body(raw: bytes) -> RunBody:
    """``{"pipeline", "version"?, "params"?, "idempotency_key"?, "priority"?}`` checked field
    by field."""
    data = json_object(raw, RUN_FIELDS)
    return RunBody(
        pipeline=_pipeline(data.get("pipeline")),
        version=_version(data.get("version")),
        params=_params(data.get("params")),
        idempotency_key=_key(data.get("idempotency_key")),
        priority=_priority(data.get("priority")),
    )


def parse_run_query(query: Mapping[str, str]) -> RunQuery:
    """``?pipeline=&status=&since=&until=&q=&limit=&before=``: status is a run status (any
    case), since/until ISO-8601 times (UTC when no offset is given), limit 1..1000,
    before a cursor a page answered as ``next``."""
    wanted = {
        "pipeline": query.get("pipeline") or None,
        "status": parse_status(query.get("status") or None),
        "since": parse_time(query.get("since") or None, "since"),
        "until": parse_time(query.get("until") or None, "until"),
        "q": query.get("q") or None,
    }
    return RunQuery(wanted, parse_limit(query.get("limit") or None), _cursor(query.get("before")))


def parse_time(text: str | None, name: str) -> datetime | None:
    """An ISO-8601 time (``2026-01-02``, ``...T10:00:00Z``, ``...+02:00``) as UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        example = "2026-01-02T10:00:00Z"
        raise ApiError(
            400, f"expected an ISO-8601 time like {example}, got {text!r}", name
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _cursor(text: str | None) -> RunKey | None:
    if text is None:
        return None
    try:
        return decode_cursor(text)
    except ValueError as exc:
        raise ApiError(400, f"{exc}: pass the next of the page before", "before") from None


def parse_status(text: str | None) -> RunStatus | None:
    if text is None:
        return None
    try:
        return RunStatus(text.strip().upper())
    except ValueError:
        known = ", ".join(s.value for s in RunStatus if s is not RunStatus.UNKNOWN)
        raise ApiError(400, f"unknown run status {text!r} (known: {known})", "status") from None


def parse_limit(text: str | None) -> int:
    """``?limit=``: 1..1000, 50 when absent."""
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"expected an integer from 1 to {MAX_LIMIT}, got {text!r}", "limit")
    return limit


def _pipeline(value: Any) -> str:
    if value is None:
        raise ApiError(400, "required: the name of a published pipeline", "pipeline")
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"expected a pipeline name, got {_kind(value)}", "pipeline")
    return value.strip()


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ApiError(400, f"expected a version number >= 1, got {_kind(value)}", "version")
    return value


def _params(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError(400, f"expected a JSON object of params, got {_kind(value)}", "params")
    return value


def _key(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_KEY_LENGTH:
        message = f"expected a non-empty string of at most {MAX_KEY_LENGTH} characters"
        raise ApiError(400, f"{message}, got {_kind(value)}", "idempotency_key")
    return value


def _priority(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value not in PRIORITY_RANGE:
        low, high = PRIORITY_RANGE.start, PRIORITY_RANGE.stop - 1
        raise ApiError(
            400, f"expected an integer from {low} to {high}, got {_kind(value)}", "priority"
        )
    return value


def _kind(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    names |= {dict: "an object", list: "an array", type(None): "null"}
    text = json.dumps(value)
    short = text if len(text) <= 40 else text[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {short}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
