"""W3C trace context for a run's first message. Pure (randomness aside).

A run is one trace: the trigger's ``traceparent`` is carried as given, so a
caller's own trace continues through Podium; without a valid one, a new trace
starts here. ``tracestate`` belongs to the caller's trace and is dropped with it;
``baggage`` is independent of the trace and always kept.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping

from podium.contract import TRACE_HEADERS

_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_MAX_HEADER = 8192


def valid_traceparent(value: str | None) -> bool:
    """Whether ``value`` is a usable W3C ``traceparent`` (version 00..fe, non-zero ids)."""
    match = _TRACEPARENT.match(value.strip()) if value else None
    if match is None:
        return False
    version, trace_id, parent_id, _ = match.groups()
    return version != "ff" and set(trace_id) != {"0"} and set(parent_id) != {"0"}


def new_traceparent() -> str:
    """A new sampled trace: ``00-<32 hex trace id>-<16 hex parent id>-01``."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"


def trace_for_request(incoming: Mapping[str, str] | None) -> dict[str, str]:
    """The trace headers a run starts with: the caller's when valid, else a new trace."""
    given = {
        key.lower(): value.strip()
        for key, value in (incoming or {}).items()
        if key.lower() in TRACE_HEADERS and len(value) <= _MAX_HEADER
    }
    if valid_traceparent(given.get("traceparent")):
        return given
    fresh = {"traceparent": new_traceparent()}
    if given.get("baggage"):
        fresh["baggage"] = given["baggage"]
    return fresh


def trace_id_of(traceparent: str | None) -> str | None:
    """The trace id a valid ``traceparent`` names (a run's id in Jaeger or Tempo), else None."""
    if not valid_traceparent(traceparent):
        return None
    return traceparent.strip().split("-")[1] if traceparent else None
