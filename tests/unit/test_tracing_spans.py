"""The coordinator's spans, a dead letter's trace context and a replay's link, recorded by
a local SDK provider (never the global one: other tests rely on tracing being off)."""

from __future__ import annotations

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from podium.cli._dlq_trace import linked_replay
from podium.contract import RunStatus, header_value
from podium.coordinator._spans import RunSpan, StepSpan, emit_spans
from podium.coordinator._traceids import attempt_span_id, run_span_id
from podium.dlq import Replay, dead_letter
from podium.dlq._letter import ORIGINAL_TRACEPARENT
from podium.tracing._install import PodiumIdGenerator, Tracing
from tests.unit.test_dlq import FakeRecord, _read_back

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C


def _recording() -> tuple[Tracing, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(id_generator=PodiumIdGenerator())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return Tracing(provider), exporter


def test_the_coordinator_spans_have_the_derived_ids_and_parents() -> None:
    tracing, exporter = _recording()
    trace = {"traceparent": PARENT}
    step = StepSpan("r1", "etl", "load", 2, "steps.load", trace, 1_000)
    run = RunSpan("r1", "etl", trace, 500, 3_000, RunStatus.FAILED, "load failed")
    emit_spans(tracing, [step, run])
    published, finished = exporter.get_finished_spans()
    assert published.name == "steps.load publish" and published.kind is SpanKind.PRODUCER
    assert published.context.span_id == attempt_span_id("r1", "load", 2)
    assert published.context.trace_id == TRACE_ID
    assert published.parent is not None and published.parent.span_id == run_span_id("r1")
    assert published.attributes is not None
    assert published.attributes["messaging.destination.name"] == "steps.load"
    assert published.attributes["podium.attempt"] == 2
    assert published.start_time == 1_000 * 1_000_000
    assert finished.name == "run etl" and finished.context.span_id == run_span_id("r1")
    assert finished.parent is not None and finished.parent.span_id == 0xB7AD6B7169203331
    assert finished.status.status_code is StatusCode.ERROR
    assert (finished.start_time, finished.end_time) == (500 * 10**6, 3_000 * 10**6)


def test_a_run_without_a_trigger_trace_is_a_root_with_a_derived_trace() -> None:
    tracing, exporter = _recording()
    emit_spans(tracing, [RunSpan("r2", "etl", {}, 1, 2, RunStatus.SUCCEEDED, None)])
    (span,) = exporter.get_finished_spans()
    assert span.parent is None and span.context.span_id == run_span_id("r2")
    assert span.status.status_code is StatusCode.UNSET


def test_a_dead_letter_carries_the_failing_span_and_keeps_the_original() -> None:
    failing = "00-0af7651916cd43dd8448eb211c80319c-1111111111111111-01"
    letter = dead_letter(FakeRecord(), ValueError("x"), traceparent=failing)
    assert header_value(letter.headers, "traceparent") == failing
    assert header_value(letter.headers, ORIGINAL_TRACEPARENT) == "00-x"
    untraced = dead_letter(FakeRecord(), ValueError("x"))
    assert header_value(untraced.headers, "traceparent") == "00-x"
    assert header_value(untraced.headers, ORIGINAL_TRACEPARENT) is None


def test_a_replay_is_a_new_trace_linked_to_the_original() -> None:
    tracing, exporter = _recording()
    entry = _read_back(dead_letter(FakeRecord(), ValueError("x"), run_keyed=True))
    headers = [("traceparent", PARENT.encode()), ("baggage", b"k=v")]
    replay = Replay(entry, "podium.runs", b"run-1", b"v", headers)
    sent = linked_replay(replay, tracing.provider.get_tracer("test"))
    (span,) = exporter.get_finished_spans()
    assert span.name == "podium.runs publish" and span.kind is SpanKind.PRODUCER
    assert span.parent is None and span.context.trace_id != TRACE_ID
    assert [link.context.span_id for link in span.links] == [0xB7AD6B7169203331]
    traceparent = header_value(sent.headers, "traceparent") or ""
    assert traceparent.split("-")[1:3] == [
        f"{span.context.trace_id:032x}",
        f"{span.context.span_id:016x}",
    ]
    assert header_value(sent.headers, "baggage") == "k=v"
