"""Kafka headers: W3C trace context and Podium's routing headers.

Headers are lists of ``(str, bytes)`` pairs, as aiokafka gives and takes them.
Trace context is copied verbatim from hop to hop (``traceparent``,
``tracestate``, ``baggage``) so that a run is one trace even through services
that do not use OpenTelemetry; the getter/setter pair lets the OpenTelemetry
propagator read and write the same lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from opentelemetry.propagators.textmap import Getter, Setter

TRACE_HEADERS = ("traceparent", "tracestate", "baggage")
RUN_ID = "podium-run-id"
STEP = "podium-step"
ATTEMPT = "podium-attempt"

Headers = list[tuple[str, bytes]]


def trace_context(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, str]:
    """The trace headers among ``headers``, decoded; undecodable values are dropped."""
    found: dict[str, str] = {}
    for key, value in headers or ():
        if key in TRACE_HEADERS and value is not None:
            try:
                found[key] = value.decode("ascii")
            except UnicodeDecodeError:
                continue
    return found


def encode_headers(values: Mapping[str, str]) -> Headers:
    """Header pairs for ``values``; a list, because aiokafka ignores other sequences' edits."""
    return [(key, value.encode("utf-8")) for key, value in values.items()]


def routing_headers(run_id: str, step: str | None = None, attempt: int | None = None) -> Headers:
    """``podium-run-id`` / ``-step`` / ``-attempt``: tools route on these without decoding.

    Built as a list directly: the coordinator adds these to every message it produces."""
    headers = [(RUN_ID, run_id.encode("utf-8"))]
    if step is not None:
        headers.append((STEP, step.encode("utf-8")))
    if attempt is not None:
        headers.append((ATTEMPT, str(attempt).encode("utf-8")))
    return headers


def header_value(headers: Sequence[tuple[str, bytes]] | None, key: str) -> str | None:
    """The last value of ``key`` as text, or None when absent or not UTF-8."""
    for name, value in reversed(list(headers or ())):
        if name == key and value is not None:
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return None
    return None


class HeaderGetter(Getter[Headers]):
    """OpenTelemetry ``Getter`` over a header list."""

    def get(self, carrier: Sequence[tuple[str, bytes]], key: str) -> list[str] | None:
        value = header_value(carrier, key)
        return None if value is None else [value]

    def keys(self, carrier: Sequence[tuple[str, bytes]]) -> list[str]:
        return [name for name, _ in carrier]


class HeaderSetter(Setter[Headers]):
    """OpenTelemetry ``Setter`` over a header list (replaces an existing key)."""

    def set(self, carrier: Headers, key: str, value: str) -> None:
        carrier[:] = [(name, raw) for name, raw in carrier if name != key]
        carrier.append((key, value.encode("utf-8")))
