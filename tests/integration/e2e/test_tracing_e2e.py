"""One exported trace per run, across real processes: a coordinator and a step service with
``OTEL_TRACES_EXPORTER=otlp`` post their spans to an OTLP/HTTP receiver in the test, and
the spans of a run form its DAG under the trigger's span."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from podium.dlq import read_dlq
from podium.testing import wait_until
from tests.brokers import free_port
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import TRACEPARENT, EventWatcher, Stack

PRODUCER, CONSUMER = 4, 5  # the OTLP protobuf's Span.SpanKind values
STATUS_ERROR = 2


@dataclass(frozen=True)
class Got:
    """One exported span, as the test reads it."""

    service: str
    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    status: int
    links: tuple[tuple[str, str], ...] = ()
    """(trace id, span id) of each linked span"""


@dataclass
class Receiver:
    """An OTLP/HTTP trace receiver: POST /v1/traces, protobuf bodies."""

    spans: list[Got] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest()
        message.ParseFromString(await request.read())
        for resource_spans in message.resource_spans:
            service = _attributes(resource_spans.resource.attributes).get("service.name", "")
            for scope in resource_spans.scope_spans:
                self.spans.extend(_got(service, span) for span in scope.spans)
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    def of(self, run_id: str) -> list[Got]:
        return [s for s in self.spans if s.attributes.get("podium.run_id") == run_id]

    async def until(self, run_id: str, done: Any, *, timeout: float = 60.0) -> list[Got]:
        deadline = time.monotonic() + timeout
        while not done(self.of(run_id)):
            if time.monotonic() > deadline:
                names = [s.name for s in self.of(run_id)]
                raise AssertionError(f"spans of {run_id} incomplete after {timeout}s: {names}")
            await asyncio.sleep(0.1)
        return self.of(run_id)


def _attributes(pairs: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        out[pair.key] = getattr(pair.value, kind) if kind else None
    return out


def _got(service: str, span: Any) -> Got:
    return Got(
        service,
        span.name,
        span.kind,
        span.trace_id.hex(),
        span.span_id.hex(),
        span.parent_span_id.hex(),
        _attributes(span.attributes),
        span.status.code,
        tuple((link.trace_id.hex(), link.span_id.hex()) for link in span.links),
    )


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, int]]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/v1/traces", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield got, port
    finally:
        await runner.cleanup()


def _complete(spans: list[Got]) -> bool:
    """The run span is in, and one process span per requested attempt."""
    publish = [s for s in spans if s.kind == PRODUCER]
    process = [s for s in spans if s.kind == CONSUMER]
    return any(s.name.startswith("run ") for s in spans) and len(process) == len(publish) > 0


def traced(stack: Stack, port: int, *, schedule_delay_ms: int) -> Stack:
    """``stack`` with a coordinator and the worker exporting spans to the receiver on
    ``port`` every ``schedule_delay_ms`` (the SDK's default is five seconds)."""
    stack.extra_env.update(
        OTEL_TRACES_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{port}",
        OTEL_BSP_SCHEDULE_DELAY=str(schedule_delay_ms),
    )
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    return stack


async def test_a_run_is_one_trace_shaped_like_its_dag(
    own_stack: Stack, receiver: tuple[Receiver, int]
) -> None:
    got, port = receiver
    stack = traced(own_stack, port, schedule_delay_ms=200)
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "first"),
        step(p, "second", after=["first"], input={"fail_attempts": 1}),  # two attempts
        step(p, "third", after=["first"]),
    )
    await stack.publish(definition)
    other_parent = "00-11112222333344445555666677778888-1234567890abcdef-01"
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        other = await stack.request_run(definition.name, traceparent=other_parent)
        seen = await watcher.until(
            lambda seen: seen.terminal(run_id), timeout=60, what="the run ends"
        )
    spans = await got.until(run_id, _complete)

    _, trace_id, trigger_span, _ = TRACEPARENT.split("-")
    assert {s.trace_id for s in spans} == {trace_id}
    assert len({s.span_id for s in spans}) == len(spans), "span ids repeat"
    (run,) = [s for s in spans if s.name.startswith("run ")]
    assert run.name == f"run {definition.name}" and run.parent_id == trigger_span
    assert run.service == "podium-coordinator" and run.status != STATUS_ERROR
    assert run.attributes["podium.pipeline"] == definition.name

    topic = stack.step_topic("worker")
    publish = [s for s in spans if s.kind == PRODUCER]
    attempts = sorted(
        (s.attributes["podium.step"], s.attributes["podium.attempt"]) for s in publish
    )
    assert attempts == [("first", 1), ("second", 1), ("second", 2), ("third", 1)]
    for span in publish:
        assert span.name == f"{topic} publish" and span.parent_id == run.span_id
        assert span.attributes["messaging.system"] == "kafka"
        assert span.attributes["messaging.destination.name"] == topic
        assert span.attributes["messaging.operation.type"] == "send"
        assert span.attributes["messaging.kafka.message.key"] == run_id

    by_id = {s.span_id: s for s in publish}
    process = [s for s in spans if s.kind == CONSUMER]
    for span in process:
        parent = by_id[span.parent_id]  # each attempt's process span is its request's child
        assert span.name == f"{topic} process" and span.service == "worker"
        assert span.attributes["messaging.operation.type"] == "process"
        assert span.attributes["messaging.destination.name"] == topic
        assert (span.attributes["podium.step"], span.attributes["podium.attempt"]) == (
            parent.attributes["podium.step"],
            parent.attributes["podium.attempt"],
        )
    failed = [s for s in process if s.attributes["podium.step"] == "second"]
    assert sorted(s.status == STATUS_ERROR for s in failed) == [False, True]

    # the run's events name its spans: a step attempt's event its attempt's span, the
    # run's own events the run span
    attempt_spans = {
        (s.attributes["podium.step"], s.attributes["podium.attempt"]): s.span_id for s in publish
    }
    events = [(e, h) for e, h in zip(seen.events, seen.headers, strict=True) if e.run_id == run_id]
    assert events
    for event, headers in events:
        _, event_trace_id, span_id, _ = dict(headers)["traceparent"].decode().split("-")
        assert event_trace_id == trace_id
        expected = run.span_id if event.step is None else attempt_spans[(event.step, event.attempt)]
        assert span_id == expected, event

    second = await got.until(other, _complete)
    assert {s.trace_id for s in second} == {"11112222333344445555666677778888"}
    assert not {s.span_id for s in second} & {s.span_id for s in spans}


async def test_spans_queued_at_sigterm_are_exported(
    own_stack: Stack, receiver: tuple[Receiver, int]
) -> None:
    """With a minute between exports, the spans arrive only because SIGTERM flushes them."""
    got, port = receiver
    stack = traced(own_stack, port, schedule_delay_ms=60_000)
    definition = pipeline(stack.prefix, step(stack.prefix, "only"))
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name)
        await watcher.until(lambda seen: seen.terminal(run_id), timeout=60, what="the run ends")
    assert got.of(run_id) == []  # nothing exported yet: the next export is a minute away
    await asyncio.to_thread(stack.stop_all)  # SIGTERM; the receiver answers meanwhile
    spans = await got.until(run_id, _complete, timeout=30)
    assert sorted(s.service for s in spans) == ["podium-coordinator"] * 2 + ["worker"]


async def test_a_replay_starts_a_trace_linked_to_the_dead_letter(
    own_stack: Stack, receiver: tuple[Receiver, int]
) -> None:
    """A run dead-lettered for its unknown pipeline, replayed once the pipeline exists: the
    replay's span links to the letter's trace, and the run continues the replay's trace."""
    got, port = receiver
    stack = traced(own_stack, port, schedule_delay_ms=200)
    later = pipeline(stack.prefix, step(stack.prefix, "work"))
    runs = stack.topics.runs
    run_id = await stack.request_run(later.name, run_id=f"late-{uuid.uuid4().hex[:8]}")

    async def dead_lettered() -> bool | None:
        entries, _ = await read_dlq(stack.settings.client_kwargs(), f"{runs}.dlq")
        return any(e.run_id == run_id for e in entries) or None

    await wait_until(dead_lettered, timeout=60, what="the run's dead letter")
    await stack.publish(later)
    async with EventWatcher(stack) as watcher:
        replay = await asyncio.to_thread(stack.cli, "dlq", "replay", runs, "--run", run_id)
        assert replay.returncode == 0, replay.stderr
        await watcher.until(lambda seen: seen.terminal(run_id), timeout=60, what="the run ends")

    def replayed(spans: list[Got]) -> bool:
        return any(s.name == f"{runs} publish" for s in got.spans) and _complete(spans)

    spans = await got.until(run_id, replayed)
    (sent,) = [s for s in got.spans if s.name == f"{runs} publish"]
    _, trace_id, trigger_span, _ = TRACEPARENT.split("-")
    # the coordinator's span for the record it rejected: a hop of the original trace
    (rejected,) = [s for s in got.spans if s.name == f"{runs} process"]
    assert (rejected.trace_id, rejected.parent_id) == (trace_id, trigger_span)
    assert rejected.service == "podium-coordinator" and rejected.kind == CONSUMER
    assert rejected.status == STATUS_ERROR
    assert rejected.attributes["podium.dlq.reason"] == "unknown-pipeline"
    assert sent.service == "podium-dlq" and sent.kind == PRODUCER
    assert sent.links == ((trace_id, rejected.span_id),) and sent.trace_id != trace_id
    assert sent.attributes["messaging.destination.name"] == runs
    (run,) = [s for s in spans if s.name.startswith("run ")]
    assert (run.trace_id, run.parent_id) == (sent.trace_id, sent.span_id)
    assert {s.trace_id for s in spans} == {sent.trace_id}
