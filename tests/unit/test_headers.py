from opentelemetry.propagate import extract, inject
from opentelemetry.trace import get_current_span

from podium.contract import (
    HeaderGetter,
    HeaderSetter,
    encode_headers,
    header_value,
    routing_headers,
    trace_context,
)

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_trace_context_keeps_only_w3c_headers() -> None:
    headers = [("traceparent", TRACEPARENT.encode()), ("other", b"x"), ("baggage", b"k=v")]
    assert trace_context(headers) == {"traceparent": TRACEPARENT, "baggage": "k=v"}


def test_trace_context_drops_undecodable_values() -> None:
    assert trace_context([("traceparent", b"\xff\xfe")]) == {}


def test_routing_headers_name_run_step_attempt() -> None:
    headers = routing_headers("run-1", "load", 2)
    assert header_value(headers, "podium-run-id") == "run-1"
    assert header_value(headers, "podium-step") == "load"
    assert header_value(headers, "podium-attempt") == "2"


def test_otel_propagator_reads_and_writes_header_lists() -> None:
    context = extract(encode_headers({"traceparent": TRACEPARENT}), getter=HeaderGetter())
    span_context = get_current_span(context).get_span_context()
    assert format(span_context.trace_id, "032x") == "0af7651916cd43dd8448eb211c80319c"
    carrier: list[tuple[str, bytes]] = []
    inject(carrier, context=context, setter=HeaderSetter())
    assert trace_context(carrier)["traceparent"] == TRACEPARENT
