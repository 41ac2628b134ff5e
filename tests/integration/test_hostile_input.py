"""The bad-input matrix, hostile part: records built to break a consumer's parser or its
dead letter, sent to every topic Podium's processes consume (see test_bad_input.py for
the matrix itself: same stack, same checks).

Per topic: a record at the broker's size limit (its dead letter, the record plus the
reason headers, cannot be written whole: it is written with its value cut and a
``podium-dlq-truncated`` header), deeply nested JSON, integers of 10,000 digits, an
over-long Avro varint, duplicate headers, and headers that alone fill the record. After
each, a good run in the same partition succeeds (so the consumer did not stop) and the
hostile record is in the DLQ once, with its reason, or was processed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pytest

from podium import contract as wire
from podium.contract import header_value
from podium.dlq._fit import TRUNCATED
from tests.integration.e2e.stack import TRACEPARENT
from tests.integration.test_bad_input import (
    Case,
    Headers,
    Matrix,
    _check_headers,
    _dlq_headers,
    encoded,
    file_landed,
    random_bytes,
    run_requested,
    send_beside_a_good_run,
    step_completed,
    step_requested,
    wait_for_dead_letter,
)
from tests.integration.test_bad_input import matrix as matrix  # the module's own stack

BROKER_LIMIT = 1_048_588
"""The broker's ``message.max.bytes`` default: the largest record batch it accepts."""
BATCH_OVERHEAD = 200
"""What a one-record batch takes beyond its key, value and headers, rounded up."""
DEEP = 100_000
"""Nesting levels: far beyond Python's recursion limit (1,000)."""
HUGE_INT = "9" * 10_000

JSON_TARGETS = ("timers", "admissions")
AT_LIMIT = {"runs": "validation", "results": "unknown-run", "files": "validation"}
"""The reason of a well-formed event at the size limit: params that large are refused; a
result's run is looked up first (ours do not exist)."""
AVRO_TARGETS = ("runs", "results", "requests", "files")


def _fill(headers: Headers, key_bytes: int = 20) -> int:
    """Value bytes that make a record with ``headers`` as large as the broker accepts."""
    header_bytes = sum(len(k) + len(v) for k, v in headers)
    return BROKER_LIMIT - BATCH_OVERHEAD - key_bytes - header_bytes


def _deep_json() -> str:
    return "[" * DEEP + "]" * DEEP


def _huge_int_json() -> str:
    return '{"n": ' + HUGE_INT + "}"


# valid events whose one JSON text field is hostile, per Avro target
def _with_json(target: str, text: str) -> Callable[[Matrix], bytes]:
    def value(m: Matrix) -> bytes:
        run_id = f"hostile-{uuid.uuid4().hex[:8]}"
        event: wire.PodiumModel
        if target == "runs":
            event = replace_params(run_requested(m.typed.name, {}, run_id), text)
        elif target == "results":
            event = step_completed(run_id).model_copy(update={"output_json": text})
        else:
            event = step_requested(run_id).model_copy(update={"input_json": text})
        return encoded(m, event)

    return value


def replace_params(event: wire.RunRequested, text: str) -> wire.RunRequested:
    return event.model_copy(update={"params_json": text})


def _at_limit_valid(target: str) -> Callable[[Matrix], bytes]:
    """A well-formed event of the target's type as large as the broker accepts."""

    def value(m: Matrix) -> bytes:
        headers = [("traceparent", TRACEPARENT.encode())]
        pad = "x" * (_fill(headers) - 400)
        if target == "files":
            return encoded(m, file_landed(f"file:///in/{pad}.bad"))
        return _with_json(target, json.dumps({"n": 1, "pad": pad}))(m)

    return value


def _pinned(version: str) -> Callable[[Matrix], bytes]:
    def value(m: Matrix) -> bytes:
        run = run_requested(m.typed.name, {}, f"hostile-{uuid.uuid4().hex[:8]}")
        return encoded(m, run.model_copy(update={"pipeline_version": version}))

    return value


def _json_cases(target: str) -> list[Case]:
    return [
        Case(target, "deep-json", "decode", lambda m: _deep_json().encode()),
        Case(target, "huge-int-json", "decode", lambda m: _huge_int_json().encode()),
        Case(
            target,
            "at-size-limit",
            "decode",
            lambda m: b'"' + b"x" * _fill([("traceparent", TRACEPARENT.encode())]) + b'"',
        ),
    ]


def _avro_cases(target: str) -> list[Case]:
    cases = [
        Case(
            target,
            "at-size-limit-bytes",
            "decode",
            lambda m: random_bytes(_fill([("traceparent", TRACEPARENT.encode())])),
        ),
    ]
    if target != "requests":  # a request that size is served (it is under the limit)
        cases.append(Case(target, "at-size-limit-event", AT_LIMIT[target], _at_limit_valid(target)))
    if target != "files":  # FileLanded has no JSON field
        cases += [
            Case(target, "deep-json", "validation", _with_json(target, _deep_json())),
            Case(target, "huge-int-json", "validation", _with_json(target, _huge_int_json())),
        ]
    return cases


def _header_cases(target: str, poison: Callable[[Matrix], bytes | None], reason: str) -> list[Case]:
    trace = ("traceparent", TRACEPARENT.encode())
    return [
        Case(
            target,
            "duplicate-headers",
            reason,
            poison,
            lambda m: [
                trace,
                ("traceparent", b"00-" + b"f" * 32 + b"-" + b"e" * 16 + b"-01"),
                ("team", b"a"),
                ("team", b"b"),
            ],
        ),
        Case(
            target,
            "oversized-headers",
            reason,
            poison,
            lambda m: [trace, ("junk", b"j" * (_fill([trace, ("junk", b"")]) - 64 - 100))],
        ),
        Case(
            target,
            "many-headers",
            reason,
            poison,
            lambda m: [trace, *[(f"h{i}", b"v") for i in range(20_000)]],
        ),
    ]


def _header_poison(target: str) -> tuple[Callable[[Matrix], bytes | None], str]:
    if target in JSON_TARGETS:
        return (lambda m: b"[1, 2, 3]"), "decode"
    return (lambda m: random_bytes(64)), "decode"


CASES = [
    *[c for t in JSON_TARGETS for c in _json_cases(t)],
    *[c for t in AVRO_TARGETS for c in _avro_cases(t)],
    *[c for t in (*AVRO_TARGETS, *JSON_TARGETS) for c in _header_cases(t, *_header_poison(t))],
    *[
        Case("runs", name, "validation", _pinned(version), detail="pipeline-version")
        for name, version in (("version-not-a-number", "latest"), ("version-huge", HUGE_INT))
    ],
]


def _wants_whole(case: Case) -> bool:
    """Dead letters that fit beside their reason headers are written whole."""
    return not case.name.startswith(("at-size-limit", "oversized-headers"))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.target}-{c.name}" for c in CASES])
async def test_hostile_input_is_dead_lettered_and_the_run_beside_it_succeeds(
    matrix: Matrix, case: Case
) -> None:
    sent = await send_beside_a_good_run(matrix, case)
    entry = await wait_for_dead_letter(matrix, case, sent)
    _check_headers(matrix, case, sent, entry)
    headers = await _dlq_headers(matrix, sent)
    truncated = header_value(headers, TRUNCATED)
    if _wants_whole(case):
        assert truncated is None
        assert ("traceparent", TRACEPARENT.encode()) in headers
    else:
        assert (truncated is not None and "value" in truncated) or "headers" in truncated
        assert entry.truncated
