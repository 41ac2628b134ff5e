"""Forwarding of run-keyed records to their run's partition (coordinator/_forward.py).

The properties: a forwarded record goes where Podium's producers put its run id
(murmur2, as Java's default partitioner), a record on that partition is never forwarded
(so a forward is never forwarded again), and whatever the record's key is plays no part.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord
from hypothesis import given
from hypothesis import strategies as st

from podium.codec import Codec, SchemaRegistry, frame
from podium.codec._avro import encode_body
from podium.codec._registry import SchemaEntry
from podium.codec.strategies import avro_values, sample_events
from podium.coordinator._forward import (
    LOG_EVERY_S,
    RUN_KEYED_INPUTS,
    Forward,
    Forwarder,
    Partitioner,
    forward_to,
    run_id_fingerprints,
    run_id_of,
)
from podium.streams._partitioner import MemoPartitioner

REGISTRY = SchemaRegistry.load()
CODEC = Codec(REGISTRY)
FINGERPRINTS = run_id_fingerprints(REGISTRY)
VERSIONS = [e for e in REGISTRY if e.short_name in RUN_KEYED_INPUTS]
"""Every kept version (current and history) of the run-keyed inputs."""
PODIUM = DefaultPartitioner()
"""How Podium's producers (aiokafka's default, the outbox's memo of it) place a key."""


@st.composite
def run_keyed_values(draw: st.DrawFn) -> tuple[str, bytes]:
    """(run id, framed value) of any version of any run-keyed input event."""
    entry: SchemaEntry = draw(st.sampled_from(VERSIONS))
    record = draw(avro_values(entry.parsed))
    return record["run_id"], frame(entry.fingerprint, encode_body(entry.parsed, record))


def murmur2(run_id: str, count: int) -> int:
    every = list(range(count))
    return int(PODIUM(run_id.encode(), every, every))


def test_every_version_of_every_run_keyed_input_can_be_placed() -> None:
    assert {e.short_name for e in VERSIONS} == set(RUN_KEYED_INPUTS)
    assert {e.fingerprint for e in VERSIONS} == FINGERPRINTS  # run_id first in each


@given(run_keyed_values())
def test_the_run_id_is_read_from_the_value(drawn: tuple[str, bytes]) -> None:
    run_id, value = drawn
    assert run_id_of(value, FINGERPRINTS) == run_id.encode()


@given(run_keyed_values(), st.integers(1, 64), st.data())
def test_a_forward_goes_where_podium_puts_the_run_id_and_stays_there(
    drawn: tuple[str, bytes], count: int, data: st.DataObject
) -> None:
    run_id, value = drawn
    partitions = list(range(count))
    on = data.draw(st.integers(0, count - 1), label="record's partition")
    forward = forward_to(value, on, partitions, MemoPartitioner(), FINGERPRINTS)
    right = murmur2(run_id, count)
    if on == right:
        assert forward is None  # handled here
    else:
        assert forward == Forward(right, run_id.encode())
        assert forward_to(value, right, partitions, MemoPartitioner(), FINGERPRINTS) is None


@given(run_keyed_values(), st.integers(0, 100))
def test_a_cut_value_is_never_misplaced(drawn: tuple[str, bytes], cut: int) -> None:
    """A truncated value is either still readable up to its run id or handled here
    (where the handler dead-letters it): never an error, never another run id."""
    run_id, value = drawn
    assert run_id_of(value[:cut], FINGERPRINTS) in (None, run_id.encode())


@given(st.binary(max_size=64))
def test_what_is_not_a_run_keyed_event_is_handled_here(value: bytes) -> None:
    assert forward_to(value, 0, [0, 1, 2], MemoPartitioner(), FINGERPRINTS) is None


def test_other_events_and_tombstones_are_handled_here() -> None:
    """A StepRequested on podium.runs starts with a run id too; it is the handler's to
    dead-letter (wrong-type) where it is, not forwarded."""
    others = [e for e in sample_events() if type(e).__name__ not in RUN_KEYED_INPUTS]
    assert others
    for event in others:
        assert run_id_of(CODEC.encode_event(event), FINGERPRINTS) is None, event
    assert run_id_of(None, FINGERPRINTS) is None


def test_a_run_id_that_is_not_utf8_is_handled_here() -> None:
    entry = REGISTRY.current("RunCancelRequested")
    good = CODEC.encode_event(next(e for e in sample_events() if e.avro_name == entry.name))
    body = good[10:]
    length = body[0] >> 1
    bad = good[:10] + body[:1] + b"\xff" * length + body[1 + length :]
    assert run_id_of(bad, FINGERPRINTS) is None


# -- the Forwarder: what the coordinator does with a misplaced record ---------------

TOPICS = frozenset({"p.runs", "p.step.results"})


def record(topic: str, partition: int, value: bytes, key: bytes | None) -> Any:
    headers = (("traceparent", b"00-ab-cd-01"),)
    return ConsumerRecord(topic, partition, 7, 0, 0, key, value, None, 0, 0, headers)


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def forwarder(clock: Clock | None = None, count: int = 2) -> Forwarder:
    def placement(topic: str) -> tuple[Sequence[int], Partitioner]:
        return list(range(count)), MemoPartitioner()

    return Forwarder(TOPICS, FINGERPRINTS, placement, Counter(), clock=clock or Clock())


def misplaced(count: int = 2) -> tuple[str, bytes, int]:
    """A run id, a RunCancelRequested of it, and a partition that is not its run's."""
    event = next(e for e in sample_events() if type(e).__name__ == "RunCancelRequested")
    run_id = next(f"run-{i}" for i in range(99) if murmur2(f"run-{i}", count) == 1)
    value = CODEC.encode_event(event.model_copy(update={"run_id": run_id}))
    return run_id, value, 0


@pytest.mark.parametrize("key", [None, b"not-the-run-id", b"run-x"])
def test_a_misplaced_record_is_forwarded_keyed_by_its_run_id(key: bytes | None) -> None:
    run_id, value, wrong = misplaced()
    f = forwarder()
    out = f.forward(record("p.runs", wrong, value, key))
    assert out is not None
    assert (out.topic, out.key, out.value) == ("p.runs", run_id.encode(), value)
    assert out.headers == [("traceparent", b"00-ab-cd-01")]
    assert f.counters["forwarded"] == 1
    assert f.forward(record("p.runs", 1, value, key)) is None  # on its run's partition
    assert f.counters["forwarded"] == 1


def test_topics_other_than_the_run_keyed_inputs_are_left_alone() -> None:
    _, value, wrong = misplaced()
    assert forwarder().forward(record("p.timers", wrong, value, None)) is None


def test_forwards_are_logged_at_info_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    _, value, wrong = misplaced()
    clock = Clock()
    f = forwarder(clock)
    caplog.set_level(logging.INFO, logger="podium.coordinator")
    for _ in range(3):
        f.forward(record("p.runs", wrong, value, None))
    clock.now += LOG_EVERY_S
    f.forward(record("p.runs", wrong, value, None))
    f.forward(record("p.step.results", wrong, value, None))  # another topic: its own line
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [line.split(" record(s) of ")[0] for line in lines] == [
        "forwarded 1",
        "forwarded 3",
        "forwarded 1",
    ]
    assert "murmur2" in lines[0] and "partition 0 -> 1" in lines[0]
    assert f.counters["forwarded"] == 5
