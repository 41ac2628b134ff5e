"""docs/contract.md's worked exchange is what Podium's codec writes, byte for byte.

The section between the ``generated`` markers is rendered here from fixed events: each
field's bytes are encoded on their own and must add up to the codec's whole message, so
the table cannot drift from the schemas either. After a schema change, regenerate it:

    PYTHONPATH=services python -m tests.unit.test_contract_doc
"""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastavro import parse_schema, schemaless_writer

from podium import contract as wire
from podium.codec import Codec, SchemaRegistry
from podium.contract import PodiumModel, encode_headers, routing_headers

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
BEGIN, END = "<!-- generated: exchange -->", "<!-- end generated -->"
REGISTRY = SchemaRegistry.load()
CODEC = Codec(REGISTRY)
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
RUN, STEP = "run-7", "archive"

REQUEST = wire.StepRequested(
    run_id=RUN, step=STEP, attempt=1, pipeline="reports", pipeline_version="1",
    input_json='{"input":{"name":"daily"},"upstream":{"extract":{"rows":3}}}',
    params_json='{"day":"2026-03-02"}', compensate=False,
    deadline=AT + timedelta(seconds=30), requested_at=AT,
)  # fmt: skip
COMPLETED = wire.StepCompleted(
    run_id=RUN, step=STEP, attempt=1, output_json='{"bytes":120}',
    completed_at=AT + timedelta(seconds=1), started_at=None, worker="java-archive/42",
)  # fmt: skip


def _hex(data: bytes) -> str:
    return " ".join(f"{b:02x}" for b in data)


def _field_rows(event: PodiumModel) -> list[tuple[str, bytes]]:
    """(field, its Avro binary bytes) in schema order: the body is their concatenation."""
    values = event.model_dump()
    rows = []
    for field in REGISTRY.current(event.avro_name).parsed["fields"]:
        out = io.BytesIO()
        schemaless_writer(out, parse_schema(field["type"]), values[field["name"]])
        rows.append((field["name"], out.getvalue()))
    return rows


def _value(value: Any) -> str:
    """A field's value as the table shows it: JSON's spelling, text as is, times twice."""
    if isinstance(value, datetime):
        return f"{value.isoformat()} = {round(value.timestamp() * 1000)} ms"
    return f"`{value}`" if isinstance(value, str) else f"`{json.dumps(value)}`"


def _message(title: str, event: PodiumModel, topic: str, headers: wire.Headers) -> list[str]:
    data = CODEC.encode_event(event)
    entry = REGISTRY.current(event.avro_name)
    rows = _field_rows(event)
    assert data == b"\xc3\x01" + entry.fingerprint + b"".join(b for _, b in rows)
    values = event.model_dump()
    lines = [
        f"### {title}",
        "",
        f"Topic `{topic}`, key `{RUN}` (UTF-8: `{_hex(RUN.encode())}`), headers:",
        "",
    ]
    lines += [f"- `{key}`: `{value.decode()}`" for key, value in headers]
    lines += ["", f"Value, {len(data)} bytes:", "", "| bytes | meaning |", "|---|---|"]
    lines.append("| `c3 01` | single-object marker |")
    fingerprint = _hex(entry.fingerprint)
    lines.append(f"| `{fingerprint}` | `{entry.name}`'s CRC-64-AVRO fingerprint, little-endian |")
    for name, encoded in rows:
        lines.append(f"| `{_hex(encoded)}` | `{name}`: {_value(values[name])} |")
    lines += ["", "```", *_dump(data), "```", ""]
    return lines


def _dump(data: bytes) -> list[str]:
    return [f"{i:04x}  {_hex(data[i : i + 16])}" for i in range(0, len(data), 16)]


def render() -> str:
    """The generated section, markers included."""
    trace = encode_headers({"traceparent": TRACEPARENT})
    request_headers = trace + routing_headers(RUN, STEP, 1)
    lines = [BEGIN, ""]
    lines += _message("The request", REQUEST, "podium.steps.archive", request_headers)
    lines += _message("The answer", COMPLETED, "podium.step.results", request_headers)
    return "\n".join([*lines, END])


def _section(text: str) -> str:
    match = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), text, re.S)
    assert match, f"{DOC} has no generated section"
    return match.group(0)


def test_the_worked_exchange_is_what_the_codec_writes() -> None:
    assert _section(DOC.read_text()) == render(), (
        "regenerate: python -m tests.unit.test_contract_doc"
    )


def test_the_exchange_decodes_back_to_its_events() -> None:
    assert CODEC.decode_event(CODEC.encode_event(REQUEST), wire.StepRequested) == REQUEST
    assert CODEC.decode_event(CODEC.encode_event(COMPLETED), wire.StepCompleted) == COMPLETED


if __name__ == "__main__":
    text = DOC.read_text()
    DOC.write_text(text.replace(_section(text), render()))
