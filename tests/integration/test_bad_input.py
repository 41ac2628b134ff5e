"""The bad-input matrix: poison sent with a plain producer to every topic Podium consumes.

One stack (coordinator + scripted worker, random topics) serves the module. Each
case sends one bad message to a consumed topic, then a good one into the same
partition (so the good one is handled after the bad one), and checks that the
good pipeline run succeeds and the bad message is in ``<topic>.dlq`` with the
right reason and origin headers, or, for messages that are not poison (a
broken ``traceparent``, a duplicate request), that it was processed and not
dead-lettered. The last test checks the runs topic balances: every record is
either processed (a run started, or a duplicate ignored) or dead-lettered.
Run with ``-s`` to see the counts.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from podium import contract as wire
from podium.codec import CodecError
from podium.contract import header_value
from podium.coordinator._forward import run_id_fingerprints, run_id_of
from podium.dlq import DlqEntry, read_dlq
from podium.dlq._entry import Origin
from podium.pipelines import Pipeline
from podium.testing import wait_until
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import TRACEPARENT, EventWatcher, Stack, same_partition_id

RUN_TIMEOUT = 60.0
SENT: Counter[str] = Counter()
DEAD: Counter[str] = Counter()
Headers = list[tuple[str, bytes]]


@dataclass
class Matrix:
    stack: Stack
    typed: Pipeline
    """One step on the worker; param ``n`` must be an integer."""
    landing: Pipeline
    """Started by a FileLanded on the stack's files topic whose uri ends in .csv."""
    landing_bad: Pipeline
    """Its trigger maps a .bad file's uri (text) to an integer param: always invalid."""

    def topic(self, target: str) -> str:
        topics = self.stack.topics
        return {
            "runs": topics.runs,
            "results": topics.step_results,
            "requests": self.stack.step_topic("worker"),
            "files": topics.files_landed,
            "timers": topics.timers,
            "admissions": topics.admissions,
        }[target]

    def group(self, target: str) -> str:
        app = self.stack.settings.coordinator.app_id
        groups = {"requests": f"{self.stack.prefix}-worker", "files": f"{app}-triggers"}
        return groups.get(target, app)


def _file_trigger(topic: str, glob: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "event",
        "topic": topic,
        "event": "FileLanded",
        "match": {"uri": glob},
        "params": params,
    }


@pytest.fixture(scope="module")
def matrix(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    stack = make_stack(kafka_bootstrap, tmp_path_factory.mktemp("bad-input"))
    p, files = stack.prefix, stack.topics.files_landed
    typed = pipeline(p, step(p, "work"), params={"n": {"type": "integer", "default": 1}})
    landing = pipeline(
        p,
        step(p, "ingest"),
        params={"uri": {"type": "string", "required": True}},
        triggers=[_file_trigger(files, "*.csv", {"uri": "uri"})],
    )
    landing_bad = pipeline(
        p,
        step(p, "ingest"),
        params={"n": {"type": "integer", "required": True}},
        triggers=[_file_trigger(files, "*.bad", {"n": "uri"})],
    )
    asyncio.run(stack.publish(typed, landing, landing_bad))
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    try:
        yield Matrix(stack, typed, landing, landing_bad)
    finally:
        stack.stop_all()


# -- the bad messages ------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def run_requested(pipeline: str, params: dict[str, Any], run_id: str = "r-1") -> wire.RunRequested:
    return wire.RunRequested(
        run_id=run_id,
        pipeline=pipeline,
        params_json=json.dumps(params),
        trigger=wire.Trigger(source=wire.TriggerSource.API),
        requested_at=_now(),
    )


def file_landed(uri: str) -> wire.FileLanded:
    return wire.FileLanded(uri=uri, size_bytes=10, landed_at=_now())


def step_requested(run_id: str) -> wire.StepRequested:
    return wire.StepRequested(
        run_id=run_id,
        step="work",
        attempt=1,
        pipeline="p",
        pipeline_version="1",
        input_json="{}",
        deadline=_now() + timedelta(minutes=1),
        requested_at=_now(),
    )


def step_completed(run_id: str) -> wire.StepCompleted:
    return wire.StepCompleted(run_id=run_id, step="work", attempt=1, completed_at=_now())


VALID: dict[str, Callable[[Matrix], wire.PodiumModel]] = {
    "runs": lambda m: run_requested(m.typed.name, {"n": 1}),
    "results": lambda m: step_completed("r-1"),
    "requests": lambda m: step_requested("r-1"),
    "files": lambda m: file_landed("file:///in/x.csv"),
}
WRONG_TYPE: dict[str, Callable[[Matrix], wire.PodiumModel]] = {
    "runs": lambda m: file_landed("file:///in/x.csv"),
    "results": lambda m: run_requested(m.typed.name, {}),
    "requests": lambda m: file_landed("file:///in/x.csv"),
}


def encoded(m: Matrix, event: wire.PodiumModel) -> bytes:
    return m.stack.codec.encode_event(event)


def truncated(m: Matrix, target: str) -> bytes:
    whole = encoded(m, VALID[target](m))
    return whole[: len(whole) // 2]


def unknown_fingerprint(m: Matrix, target: str) -> bytes:
    whole = encoded(m, VALID[target](m))
    return whole[:2] + bytes.fromhex("0badc0de0badc0de") + whole[10:]


def random_bytes(size: int) -> bytes:
    return b"\x00" + os.urandom(size - 1)  # never starts with the C3 01 marker by chance


@dataclass(frozen=True)
class Case:
    target: str
    name: str
    reason: str | None
    """The DLQ reason expected; None: not poison, must be processed and not dead-lettered."""
    value: Callable[[Matrix], bytes | None]
    headers: Callable[[Matrix], Headers] = lambda m: [("traceparent", TRACEPARENT.encode())]
    detail: str | None = None
    """The ``podium-dlq-detail`` expected (the finer code), when the case pins one."""


def _codec_cases(target: str) -> list[Case]:
    framing = "not-avro-framing"
    return [
        Case(target, "random-bytes", "decode", lambda m: random_bytes(64), detail=framing),
        Case(target, "empty-value", "decode", lambda m: b"", detail=framing),
        Case(target, "tombstone", "decode", lambda m: None, detail=framing),
        Case(
            target, "truncated-avro", "decode", lambda m: truncated(m, target), detail="truncated"
        ),
        Case(
            target,
            "unknown-fingerprint",
            "schema",
            lambda m: unknown_fingerprint(m, target),
            detail="unknown-fingerprint",
        ),
        Case(target, "very-large", "decode", lambda m: random_bytes(900_000), detail=framing),
    ]


def _good_run_with(headers: Headers) -> Case:
    return Case(
        "runs",
        "bad-traceparent",
        None,
        lambda m: encoded(m, run_requested(m.typed.name, {"n": 3}, f"r-{uuid.uuid4()}")),
        lambda m: headers,
    )


CASES = [
    *_codec_cases("runs"),
    Case("runs", "wrong-type", "wrong-type", lambda m: encoded(m, WRONG_TYPE["runs"](m))),
    Case(
        "runs",
        "unknown-pipeline",
        "unknown-pipeline",
        lambda m: encoded(m, run_requested("no-such-pipeline", {}, f"r-{uuid.uuid4()}")),
    ),
    Case(
        "runs",
        "params-of-wrong-type",
        "validation",
        lambda m: encoded(m, run_requested(m.typed.name, {"n": "ten"}, f"r-{uuid.uuid4()}")),
    ),
    _good_run_with([("traceparent", b"garbage-not-w3c")]),  # non-UTF-8: its own test below
    *_codec_cases("results"),
    Case("results", "wrong-type", "wrong-type", lambda m: encoded(m, WRONG_TYPE["results"](m))),
    Case(
        "results",
        "unknown-run",
        "unknown-run",
        lambda m: encoded(m, step_completed(f"no-such-run-{uuid.uuid4().hex[:8]}")),
    ),
    *_codec_cases("requests"),
    Case(
        "requests",
        "wrong-type",
        "wrong-type",
        lambda m: encoded(m, WRONG_TYPE["requests"](m)),
        detail="wrong-event-type",
    ),
    # The coordinator's internal topics carry small JSON messages: anything else is poison.
    *[
        Case(target, name, "decode", value)
        for target in ("timers", "admissions")
        for name, value in (
            ("random-bytes", lambda m: random_bytes(64)),
            ("empty-value", lambda m: b""),
            ("tombstone", lambda m: None),
            ("not-json-object", lambda m: b"[1, 2, 3]"),
        )
    ],
    *_codec_cases("files"),
    Case(
        "files",
        "params-of-wrong-type",
        "validation",
        lambda m: encoded(m, file_landed(f"file:///in/{uuid.uuid4()}.bad")),
    ),
]


# -- sending and checking ----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    topic: str
    partition: int
    offset: int
    key: bytes


async def send(m: Matrix, case: Case) -> Sent:
    """Send ``case``'s message, keyed by its run id when it has one (on the run-keyed
    topics, as Podium's producers do: a record elsewhere would be forwarded to its run's
    partition and dead-lettered from there, see e2e/test_foreign_clients_e2e.py)."""
    topic, key = m.topic(case.target), f"bad-{uuid.uuid4().hex[:10]}".encode()
    value = case.value(m)
    if case.target in ("runs", "results"):
        key = run_id_of(value, run_id_fingerprints(m.stack.codec.registry)) or key
    async with AIOKafkaProducer(
        bootstrap_servers=m.stack.bootstrap, acks="all", max_request_size=2_000_000
    ) as producer:
        meta = await producer.send_and_wait(topic, value, key=key, headers=case.headers(m))
    SENT[case.target] += 1
    return Sent(topic, meta.partition, meta.offset, key)


async def dead_letter_of(m: Matrix, sent: Sent) -> DlqEntry | None:
    entries, _ = await read_dlq(m.stack.settings.client_kwargs(), f"{sent.topic}.dlq")
    origin = Origin(sent.topic, sent.partition, sent.offset)
    found = [e for e in entries if e.origin == origin]
    assert len(found) <= 1, f"{origin} dead-lettered {len(found)} times"
    return found[0] if found else None


async def good_neighbour(m: Matrix, case: Case, sent: Sent, watcher: EventWatcher) -> str:
    """A good run whose input shares the bad message's partition; returns its run id."""
    if case.target == "files":
        uri = f"file:///in/good-{uuid.uuid4().hex[:8]}.csv"
        async with AIOKafkaProducer(bootstrap_servers=m.stack.bootstrap, acks="all") as producer:
            await producer.send_and_wait(sent.topic, encoded(m, file_landed(uri)), key=sent.key)
        seen = await watcher.until(
            lambda s: _run_for_uri(s, uri), timeout=RUN_TIMEOUT, what=f"a run for {uri}"
        )
        run_id = _run_for_uri(seen, uri)
        assert run_id is not None
        return run_id
    if case.reason is None:  # the message itself is the good run
        return sent.key.decode()
    run_id = same_partition_id(sent.key.decode())
    return await m.stack.request_run(m.typed.name, {"n": 2}, run_id=run_id)


def _run_for_uri(seen: Any, uri: str) -> str | None:
    for event in seen.events:
        detail = json.loads(event.detail_json or "{}") if event.step is None else {}
        if detail.get("params", {}).get("uri") == uri:
            return str(event.run_id)
    return None


def _check_headers(m: Matrix, case: Case, sent: Sent, entry: DlqEntry) -> None:
    assert entry.reason == case.reason, entry
    if case.detail is not None:
        assert entry.detail == case.detail, entry
    assert entry.origin == Origin(sent.topic, sent.partition, sent.offset)
    assert entry.group == m.group(case.target)
    assert entry.error and entry.error_class and entry.failed_at is not None
    if case.target not in ("files", "admissions"):  # run-keyed topics: the key names the run
        assert entry.run_id == sent.key.decode()


async def _dlq_headers(m: Matrix, sent: Sent) -> Headers:
    """The raw headers of the dead letter of ``sent`` (to check what was kept)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=m.stack.bootstrap, group_id=None)
    await consumer.start()
    try:
        entry = await dead_letter_of(m, sent)
        assert entry is not None
        partition = TopicPartition(entry.topic, entry.partition)
        consumer.assign([partition])
        consumer.seek(partition, entry.offset)
        record = await asyncio.wait_for(consumer.getone(), 30)
        return list(record.headers)
    finally:
        await consumer.stop()


async def send_beside_a_good_run(m: Matrix, case: Case) -> Sent:
    """Send ``case``'s message, then a good run in its partition; returns once that run
    succeeded (so the consumer went past the message and did not stop)."""
    async with EventWatcher(m.stack) as watcher:
        sent = await send(m, case)
        run_id = await good_neighbour(m, case, sent, watcher)
        seen = await watcher.until(
            lambda s: s.terminal(run_id),
            timeout=RUN_TIMEOUT,
            what=f"{run_id} finishes beside {case.name}",
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    return sent


async def wait_for_dead_letter(m: Matrix, case: Case, sent: Sent) -> DlqEntry:
    return await wait_until(
        lambda: dead_letter_of(m, sent), timeout=RUN_TIMEOUT, what=f"{case.name} in DLQ"
    )


@pytest.mark.parametrize("case", CASES, ids=[f"{c.target}-{c.name}" for c in CASES])
async def test_bad_input_is_dead_lettered_and_the_run_beside_it_succeeds(
    matrix: Matrix, case: Case
) -> None:
    sent = await send_beside_a_good_run(matrix, case)
    if case.reason is None:
        assert await dead_letter_of(matrix, sent) is None  # processed before its run finished
        return
    entry = await wait_for_dead_letter(matrix, case, sent)
    DEAD[case.target] += 1
    _check_headers(matrix, case, sent, entry)
    headers = await _dlq_headers(matrix, sent)
    assert ("traceparent", TRACEPARENT.encode()) in headers  # the original headers stay


async def test_a_bad_traceparent_is_dropped_not_passed_on(matrix: Matrix) -> None:
    case = _good_run_with([("traceparent", b"\xff\xfe\x00not-utf8")])
    async with EventWatcher(matrix.stack) as watcher:
        sent = await send(matrix, case)
        run_id = sent.key.decode()
        seen = await watcher.until(
            lambda s: s.terminal(run_id), timeout=RUN_TIMEOUT, what=f"{run_id} finishes"
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    ours = [h for e, h in zip(seen.events, seen.headers, strict=True) if e.run_id == run_id]
    assert ours and all(header_value(h, "traceparent") is None for h in ours)
    assert [row for row in executions(matrix.stack.home) if row[0] == run_id]


async def test_a_duplicate_request_is_processed_once_not_dead_lettered(matrix: Matrix) -> None:
    stack = matrix.stack
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(matrix.typed.name, {"n": 4})
        await stack.request_run(matrix.typed.name, {"n": 4}, run_id=run_id)
        SENT["runs"] += 2
        barrier = await stack.request_run(matrix.typed.name, run_id=same_partition_id(run_id))
        seen = await watcher.until(
            lambda s: s.terminal(run_id) and s.terminal(barrier),
            timeout=RUN_TIMEOUT,
            what="both runs finish",
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    assert len([e for e in seen.of(run_id) if e.step is None and str(e.status) == "RUNNING"]) == 1


async def test_the_runs_topic_balances(matrix: Matrix) -> None:
    """Messages in = runs started + duplicates ignored + dead-lettered, record by record."""
    stack = matrix.stack
    kwargs = stack.settings.client_kwargs()
    records = await _all_records(kwargs, stack.topics.runs)
    entries, _ = await read_dlq(kwargs, f"{stack.topics.runs}.dlq")
    dead = {(e.origin.partition, e.origin.offset) for e in entries if e.origin}
    async with EventWatcher(stack) as watcher:
        started = {e.run_id for e in (await watcher.poll()).events}
    tally: Counter[str] = Counter()
    seen_runs: set[str] = set()
    for record in records:
        tally[_fate(record, dead, started, seen_runs, stack)] += 1
    processed = tally["started"] + tally["duplicate"]
    print(
        f"\nbad-input matrix: runs topic: in={len(records)} processed={processed} "
        f"(started={tally['started']}, duplicates={tally['duplicate']}) "
        f"dead-lettered={tally['dead']} unaccounted={tally['lost']}\n"
        f"bad messages sent per topic: {dict(SENT)}; dead-lettered per topic: {dict(DEAD)}"
    )
    assert tally["lost"] == 0
    assert len(records) == processed + tally["dead"] == processed + len(entries)
    assert tally["duplicate"] >= 1 and tally["dead"] >= 9


def _fate(
    record: Any, dead: set[tuple[int, int]], started: set[str], seen: set[str], stack: Stack
) -> str:
    if (record.partition, record.offset) in dead:
        return "dead"
    try:
        run_id = stack.codec.decode_event(record.value, wire.RunRequested).run_id
    except CodecError:
        return "lost"
    if run_id not in started:
        return "lost"
    fate = "duplicate" if run_id in seen else "started"
    seen.add(run_id)
    return fate


async def _all_records(kwargs: dict[str, Any], topic: str) -> list[Any]:
    """Every record of ``topic`` (read_dlq reads any topic whole, without a group)."""
    _, kept = await read_dlq(kwargs, topic, keep=lambda _: True)
    return [record for _, record in kept]


async def test_a_repeat_start_with_other_params_is_dead_lettered_as_a_conflict(
    matrix: Matrix,
) -> None:
    """The same run id (what one idempotency key gives) asked for with other params: the
    first run is untouched and the second request is dead-lettered, not silently taken
    for a repeat (the API and CLI refuse it up front; this is the race they may miss)."""
    stack = matrix.stack
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(matrix.typed.name, {"n": 4})
        await watcher.until(lambda s: s.terminal(run_id), timeout=RUN_TIMEOUT, what="run ends")
        await stack.request_run(matrix.typed.name, {"n": 4}, run_id=run_id)  # a true repeat
        await stack.request_run(matrix.typed.name, {"n": 5}, run_id=run_id)
        SENT["runs"] += 3
    entries = await wait_until(
        lambda: _dead_letters_of_run(matrix, run_id), timeout=RUN_TIMEOUT, what="the conflict"
    )
    assert [(e.reason, e.detail) for e in entries] == [("validation", "idempotency-conflict")]
    assert "other params" in entries[0].error


async def _dead_letters_of_run(m: Matrix, run_id: str) -> list[DlqEntry] | None:
    entries, _ = await read_dlq(m.stack.settings.client_kwargs(), f"{m.stack.topics.runs}.dlq")
    return [e for e in entries if e.run_id == run_id] or None
