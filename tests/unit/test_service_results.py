"""What a handler's return or exception becomes, and the headers results carry."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from podium.contract import StepCompleted, StepFailed
from podium.service import NonRetryableError, Service, StepContext, StepError
from podium.service._execute import execute_step
from podium.service._results import MAX_MESSAGE, cap, failure_of, result_headers
from podium.service.testing import make_request

TRACEPARENT = b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_plain_exception_is_retryable_with_its_type_name() -> None:
    failure = failure_of(KeyError("amount"))
    assert (failure.error_type, failure.error_message, failure.retryable) == (
        "KeyError",
        "'amount'",
        True,
    )


def test_non_retryable_error_says_so_and_carries_details() -> None:
    failure = failure_of(NonRetryableError("no such file", details={"path": "/x.csv"}))
    assert failure.retryable is False
    assert failure.error_type == "NonRetryableError"
    assert json.loads(failure.details_json or "") == {"path": "/x.csv"}


def test_step_error_can_ask_for_a_delay_before_the_retry() -> None:
    failure = failure_of(StepError("rate limited", retry_after=2.5))
    assert (failure.retryable, failure.retry_after_ms) == (True, 2500)


def test_long_messages_are_capped_and_say_so() -> None:
    failure = failure_of(ValueError("x" * 10_000))
    assert len(failure.error_message) == MAX_MESSAGE
    assert failure.error_message.endswith("more characters]")
    assert cap("short") == "short"


def test_an_exception_without_a_message_is_described_by_its_repr() -> None:
    assert failure_of(TimeoutError()).error_message == "TimeoutError()"


def test_result_headers_copy_trace_headers_verbatim_and_add_routing() -> None:
    request = make_request("aggregate", run_id="run-7", attempt=3)
    incoming = [("traceparent", TRACEPARENT), ("baggage", b"k=v"), ("other", b"x")]
    assert result_headers(request, incoming) == [
        ("traceparent", TRACEPARENT),
        ("baggage", b"k=v"),
        ("podium-run-id", b"run-7"),
        ("podium-step", b"aggregate"),
        ("podium-attempt", b"3"),
    ]


service = Service("unit")


@service.step("ok")
async def ok(input: dict[str, Any], ctx: StepContext) -> dict[str, Any]:
    return {"got": input, "run": ctx.run_id}


@service.step("boom")
async def boom(input: dict[str, Any], ctx: StepContext) -> None:
    raise RuntimeError("disk on fire")


@service.step("bad-output")
async def bad_output(input: dict[str, Any], ctx: StepContext) -> float:
    return math.nan


async def test_returning_a_value_completes_the_step_with_it_as_json() -> None:
    request = make_request("ok", {"n": 1}, run_id="run-1")
    event = await execute_step(service, request)
    assert isinstance(event, StepCompleted)
    assert event.output() == {"got": {"n": 1}, "run": "run-1"}
    assert (event.run_id, event.step, event.attempt) == ("run-1", "ok", 1)


async def test_raising_fails_the_step_retryably() -> None:
    event = await execute_step(service, make_request("boom"))
    assert isinstance(event, StepFailed)
    assert (event.error_type, event.error_message, event.retryable) == (
        "RuntimeError",
        "disk on fire",
        True,
    )


async def test_a_non_json_output_fails_for_good() -> None:
    event = await execute_step(service, make_request("bad-output"))
    assert isinstance(event, StepFailed)
    assert (event.error_type, event.retryable) == ("OutputNotJSON", False)


async def test_a_step_without_handler_fails_for_good_naming_the_fix() -> None:
    event = await execute_step(service, make_request("unknown"))
    assert isinstance(event, StepFailed)
    assert event.retryable is False
    assert "@service.step('unknown')" in event.error_message


async def test_cancellation_is_not_turned_into_a_failure() -> None:
    cancelling = Service("cancelling")

    @cancelling.default
    async def handler(input: Any, ctx: StepContext) -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await execute_step(cancelling, make_request("x"))


async def test_the_handler_runs_in_a_process_span_parented_by_the_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import podium.service._tracing as tracing

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_tracer", provider.get_tracer("test"))
    seen: list[int] = []
    traced = Service("traced")

    @traced.default
    async def handler(input: Any, ctx: StepContext) -> None:
        seen.append(trace.get_current_span().get_span_context().trace_id)

    await execute_step(traced, make_request("x", run_id="run-9"), [("traceparent", TRACEPARENT)])
    [span] = exporter.get_finished_spans()
    assert span.name == "podium.steps.traced process"
    assert span.parent is not None and span.parent.span_id == int(TRACEPARENT.split(b"-")[2], 16)
    assert seen == [int(TRACEPARENT.split(b"-")[1], 16)]
    assert span.attributes is not None and span.attributes["podium.run_id"] == "run-9"
