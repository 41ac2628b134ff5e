"""The context a handler gets: request fields, params, trace, logger, heartbeat, envelope."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest

from podium.contract import split_input
from podium.service import StepContext
from podium.service.testing import make_request

TRACE = [("traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]


def test_context_carries_the_request_fields_params_and_trace() -> None:
    request = make_request("aggregate", {"op": "aggregate"}, params={"uri": "/a.csv"}, attempt=2)
    ctx, payload = StepContext.from_request(request, TRACE)
    assert payload == {"op": "aggregate"}
    assert (ctx.run_id, ctx.step, ctx.attempt) == (request.run_id, "aggregate", 2)
    assert ctx.params == {"uri": "/a.csv"}
    assert ctx.deadline == request.deadline and ctx.deadline.tzinfo is not None
    assert ctx.trace == {"traceparent": TRACE[0][1].decode()}
    assert ctx.compensate is False
    assert timedelta(seconds=50) < ctx.remaining() <= timedelta(seconds=60)


def test_the_coordinator_envelope_is_unwrapped_for_the_handler() -> None:
    request = make_request("load", {"target": "w"}, upstream={"aggregate": {"path": "/p"}})
    ctx, payload = StepContext.from_request(request)
    assert payload == {"target": "w"}
    assert ctx.upstream == {"aggregate": {"path": "/p"}}


def test_a_compensation_says_what_it_undoes() -> None:
    request = make_request(
        "x", {"op": "cleanup"}, compensates="aggregate", step_input={"op": "agg"}, output={"n": 1}
    )
    ctx, payload = StepContext.from_request(request)
    assert ctx.step == "compensate:aggregate"
    assert (ctx.compensate, ctx.compensates) == (True, "aggregate")
    assert (ctx.compensated_output, ctx.compensated_input) == ({"n": 1}, {"op": "agg"})
    assert payload == {"op": "cleanup"}


def test_input_that_is_not_an_envelope_is_passed_as_is() -> None:
    assert split_input({"input": 1}).input == {"input": 1}
    assert split_input([1, 2], "compensate:load").compensates == "load"


def test_the_logger_puts_run_and_step_on_every_record(caplog: pytest.LogCaptureFixture) -> None:
    ctx, _ = StepContext.from_request(make_request("profile", run_id="run-42"))
    with caplog.at_level(logging.INFO):
        ctx.logger.info("hello %s", "world", extra={"rows": 3})
    record = caplog.records[-1]
    assert record.getMessage() == "hello world"
    assert (record.run_id, record.step, record.rows) == ("run-42", "profile", 3)  # type: ignore[attr-defined]


async def test_heartbeat_sends_progress_and_the_extension_in_ms() -> None:
    beats: list[tuple[Any, int | None]] = []

    async def beat(progress: Any, extend_ms: int | None) -> None:
        beats.append((progress, extend_ms))

    ctx, _ = StepContext.from_request(make_request("s"), heartbeat=beat)
    await ctx.heartbeat({"done": 1})
    await ctx.heartbeat(extend=timedelta(minutes=1))
    await ctx.heartbeat(extend=2.5)
    assert beats == [({"done": 1}, None), (None, 60_000), (None, 2500)]


async def test_heartbeat_outside_a_service_is_harmless() -> None:
    ctx, _ = StepContext.from_request(make_request("s"))
    await ctx.heartbeat({"done": 1})


def test_a_compensation_envelope_without_optional_parts_still_unwraps() -> None:
    unwrapped = split_input({"compensates": "load", "input": {"op": "unload"}})
    assert (unwrapped.input, unwrapped.compensates) == ({"op": "unload"}, "load")
