"""One request through its handler, without Kafka: the outcome as a result event.

The runner calls this for every request; tests and scripts can too, to run a
handler exactly as the service would (same context, envelope, error mapping).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from podium._json_limits import JsonLimitError
from podium.contract import StepCompleted, StepFailed, StepRequested
from podium.service._context import Beat, StepContext
from podium.service._errors import PoisonMessage, UnreadableRequest
from podium.service._redact import redact_json_text, redacted_failure
from podium.service._results import (
    Failure,
    completed_record,
    failed_record,
    failure_of,
    output_json,
    output_within,
)
from podium.service._tracing import mark_failed, process_span, result_trace

if TYPE_CHECKING:  # a type only: Service.run reaches this module, not the other way
    from podium.service._service import Handler, Service


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What running a request gave: the result to send and, when the handler raised
    PoisonMessage, that error (the request goes to the DLQ as well)."""

    event: StepCompleted | StepFailed
    poison: PoisonMessage | None = None


async def execute_step(
    service: Service,
    request: StepRequested,
    headers: Sequence[tuple[str, bytes]] = (),
    *,
    heartbeat: Beat | None = None,
    worker: str | None = None,
) -> StepCompleted | StepFailed:
    """Run the handler for ``request`` inside a process span; never raises for the
    handler's own errors (they become StepFailed). Cancellation propagates."""
    outcome = await run_step(service, request, headers, heartbeat=heartbeat, worker=worker)
    return outcome.event


async def run_step(
    service: Service,
    request: StepRequested,
    headers: Sequence[tuple[str, bytes]] = (),
    *,
    heartbeat: Beat | None = None,
    worker: str | None = None,
) -> Outcome:
    """Like :func:`execute_step`, keeping the handler's PoisonMessage (the runner needs it)."""
    result = await run_result(service, request, headers, heartbeat=heartbeat, worker=worker)
    return Outcome(result.event(), result.poison)


@dataclass(frozen=True, slots=True)
class Result:
    """A result as the record of its Avro schema (what the runner encodes and sends with
    ``Codec.encode_trusted``, skipping the pydantic model), and the handler's poison."""

    schema: type[StepCompleted] | type[StepFailed]
    record: dict[str, Any]
    poison: PoisonMessage | None = None
    trace: list[tuple[str, bytes]] | None = None
    """The headers the result carries instead of the request's: its trace context is the
    process span's (None without an SDK: the request's are sent)."""

    def event(self) -> StepCompleted | StepFailed:
        """The typed event (validated) with the same fields."""
        return self.schema(**self.record)


async def run_result(
    service: Service,
    request: StepRequested,
    headers: Sequence[tuple[str, bytes]] = (),
    *,
    heartbeat: Beat | None = None,
    worker: str | None = None,
) -> Result:
    """Like :func:`run_step`, with the result as a record (the runner's hot path)."""
    started = _now()
    try:
        context, payload = StepContext.from_request(request, headers, heartbeat=heartbeat)
    except JsonLimitError as exc:
        poison = UnreadableRequest(f"the request's JSON cannot be read: {exc}", exc.detail)
        record = failed_record(request, failure_of(poison), now=_now(), worker=worker)
        return Result(StepFailed, record, poison)
    handler = service.handler_for(request.step, context.compensates)
    with process_span(service.name, service.request_topic, request, headers) as span:
        outcome = await _call(service, handler, payload, context)
        if isinstance(outcome, Failure):
            mark_failed(span, outcome.error_type, outcome.error_message)
        trace = result_trace(span, headers)
    now = _now()
    if isinstance(outcome, Failure):
        record = failed_record(request, outcome, now=now, worker=worker)
        return Result(StepFailed, record, outcome.poison, trace)
    took = (now - started).total_seconds()
    context.logger.info("attempt %d completed in %.3fs", request.attempt, took)
    return Result(
        StepCompleted,
        completed_record(request, outcome, started_at=started, now=now, worker=worker),
        trace=trace,
    )


async def _call(
    service: Service, handler: Handler | None, payload: object, context: StepContext
) -> str | Failure:
    if handler is None:
        message = (
            f"service {service.name} has no handler for step {context.step!r}: "
            f"register @service.step({context.step!r}) or @service.default"
        )
        context.logger.error(message)
        return Failure("NoHandlerError", message, False)
    try:
        value = await handler(payload, context)
    except Exception as exc:
        context.logger.warning("step failed: %s: %s", type(exc).__name__, exc, exc_info=True)
        return redacted_failure(failure_of(exc), context)
    output = output_json(value)
    if isinstance(output, Failure):
        return output
    if context.logger.secrets:  # a handler that returns its secret must not publish it
        output = redact_json_text(output, context.logger.secrets)
    return output_within(output, service.max_output_bytes)
