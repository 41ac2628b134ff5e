"""Pure mapping from a handler's outcome to the events and headers it produces.

Returning a value -> StepCompleted (``output_json``); raising -> StepFailed with
the exception's type name and a capped message, retryable unless the error says
otherwise (see ``_errors``). Every result and heartbeat is keyed by the run id
and carries the request's trace headers verbatim plus Podium's routing headers (with an
OpenTelemetry SDK on, the runner passes the process span's instead: ``_tracing``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from podium.contract import (
    TRACE_HEADERS,
    Headers,
    StepCompleted,
    StepFailed,
    StepHeartbeat,
    StepRequested,
    routing_headers,
)
from podium.service._errors import PoisonMessage, StepError

_JSON = json.JSONEncoder(allow_nan=False)
"""``json.dumps(value, allow_nan=False)`` builds an encoder per call; this one is reused."""
MAX_MESSAGE = 2000
"""Longest error message sent; a stack of nested reprs must not bloat the results topic."""
OUTPUT_NOT_JSON = "OutputNotJSON"


def cap(text: str, limit: int = MAX_MESSAGE) -> str:
    """``text`` cut to ``limit`` characters, saying that it was cut."""
    if len(text) <= limit:
        return text
    marker = f"... [{len(text) - limit} more characters]"
    return text[: max(0, limit - len(marker))] + marker


@dataclass(frozen=True, slots=True)
class Failure:
    """What a StepFailed says about an exception."""

    error_type: str
    error_message: str
    retryable: bool
    retry_after_ms: int | None = None
    details_json: str | None = None
    poison: PoisonMessage | None = field(default=None, compare=False)
    """The handler's PoisonMessage, when it raised one: the request also goes to the DLQ."""


def failure_of(error: BaseException) -> Failure:
    """Classify ``error``: StepError carries its own retry flag, hint and details."""
    message = cap(str(error) or repr(error))
    if not isinstance(error, StepError):
        return Failure(type(error).__name__, message, True)
    after = None if error.retry_after is None else max(0, round(error.retry_after * 1000))
    poison = error if isinstance(error, PoisonMessage) else None
    details = _details(error.details)
    return Failure(type(error).__name__, message, error.retryable, after, details, poison)


def _details(details: Any) -> str | None:
    if details is None:
        return None
    return cap(json.dumps(details, default=str), MAX_MESSAGE * 4)


def output_json(value: Any) -> str | Failure:
    """``value`` as JSON text, or a non-retryable Failure: the same code returns it again."""
    try:
        return _JSON.encode(value)
    except (TypeError, ValueError) as exc:
        return Failure(OUTPUT_NOT_JSON, cap(f"handler returned a non-JSON value: {exc}"), False)


OUTPUT_TOO_LARGE = "OutputTooLarge"


def output_within(output: str, limit: int) -> str | Failure:
    """``output`` (JSON text), or a non-retryable Failure when it is over ``limit`` bytes:
    the coordinator would refuse it too, and the same code returns it again."""
    size = len(output) if output.isascii() else len(output.encode("utf-8"))
    if size <= limit:
        return output
    message = (
        f"the step returned {size} bytes of output, over the {limit}-byte limit "
        "(PODIUM_LIMITS__MAX_OUTPUT_BYTES): store the data elsewhere (object storage, "
        "a table) and return a reference to it"
    )
    return Failure(OUTPUT_TOO_LARGE, message, False)


def completed(
    request: StepRequested,
    output: str,
    *,
    started_at: datetime,
    now: datetime,
    worker: str | None,
) -> StepCompleted:
    return StepCompleted(
        **completed_record(request, output, started_at=started_at, now=now, worker=worker)
    )


def completed_record(
    request: StepRequested,
    output: str,
    *,
    started_at: datetime,
    now: datetime,
    worker: str | None,
) -> dict[str, Any]:
    """The fields of :func:`completed`, as a record for ``Codec.encode_trusted`` (the
    runner's hot path skips building and dumping the model: every value is typed here)."""
    return {
        "run_id": request.run_id,
        "step": request.step,
        "attempt": request.attempt,
        "output_json": output,
        "completed_at": now,
        "started_at": started_at,
        "worker": worker,
    }


def failed(
    request: StepRequested, failure: Failure, *, now: datetime, worker: str | None
) -> StepFailed:
    return StepFailed(**failed_record(request, failure, now=now, worker=worker))


def failed_record(
    request: StepRequested, failure: Failure, *, now: datetime, worker: str | None
) -> dict[str, Any]:
    """The fields of :func:`failed`, as a record for ``Codec.encode_trusted``."""
    return {
        "run_id": request.run_id,
        "step": request.step,
        "attempt": request.attempt,
        "error_type": failure.error_type,
        "error_message": failure.error_message,
        "retryable": failure.retryable,
        "retry_after_ms": failure.retry_after_ms,
        "details_json": failure.details_json,
        "failed_at": now,
        "worker": worker,
    }


def heartbeat(
    request: StepRequested,
    *,
    progress: Any,
    extend_ms: int | None,
    now: datetime,
    worker: str | None,
) -> StepHeartbeat:
    return StepHeartbeat(
        run_id=request.run_id,
        step=request.step,
        attempt=request.attempt,
        progress_json=None if progress is None else json.dumps(progress, default=str),
        extend_ms=extend_ms,
        sent_at=now,
        worker=worker,
    )


def result_headers(request: StepRequested, request_headers: Sequence[tuple[str, bytes]]) -> Headers:
    """The request's trace headers, byte for byte, then routing headers for the result."""
    trace = [
        (key, bytes(value))
        for key, value in request_headers
        if key in TRACE_HEADERS and value is not None
    ]
    return trace + routing_headers(request.run_id, request.step, request.attempt)
