"""Run-keyed records on another partition than their run's: forwarded there.

A run's state lives in the partition its run id maps to with Kafka's default (murmur2,
Java's) partitioner, and only the instance owning that partition can apply the run's
events. A client partitioning otherwise (librdkafka's default is CRC32 of the key: kcat,
confluent-kafka-python, Go and .NET clients...), keying by something else, or sending no
key puts a run's record on a partition that does not hold the run: a request would start
it where its results never arrive, a result would be dead-lettered as ``unknown-run``.

So every record of ``podium.runs`` and ``podium.step.results`` is placed by its run id,
read from the value (the first field of each run-keyed event, a string: no full decode,
and the record's key plays no part). On its run's partition it is handled; elsewhere
it is produced again to that partition of the same topic, keyed by the run id, with the
same value and headers, as one more message of the batch (so its offset is committed
only once the forward is written). A value that is not such an event is handled where it
is (the handler dead-letters what it cannot decode).

No loops: the target is computed with the partitioner and partition list the outbox
places a keyed message with, so a forward lands on its target, where it is handled.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from aiokafka.structs import ConsumerRecord

from podium.codec import HEADER_SIZE, MAGIC, SchemaRegistry
from podium.streams import Outgoing, Partitioner

log = logging.getLogger("podium.coordinator")

RUN_KEYED_INPUTS = (
    "RunRequested",
    "RunCancelRequested",
    "StepCompleted",
    "StepFailed",
    "StepHeartbeat",
)
"""The events the coordinator reads on ``podium.runs`` and ``podium.step.results``."""

LOG_EVERY_S = 60.0
"""At most one INFO line per topic this often (a misconfigured producer sends a lot)."""

Placement = Callable[[str], tuple[Sequence[int], Partitioner]]
"""topic -> (its partitions, the partitioner): how the outbox places a keyed message."""


def run_id_fingerprints(
    registry: SchemaRegistry, names: Iterable[str] = RUN_KEYED_INPUTS
) -> frozenset[bytes]:
    """Writer fingerprints (every kept version) of ``names`` whose first field is the
    string ``run_id``: the values :func:`run_id_of` can read."""
    wanted = {registry.current(name).name for name in names}
    return frozenset(
        entry.fingerprint
        for entry in registry
        if entry.name in wanted and _starts_with_run_id(entry.source)
    )


def _starts_with_run_id(schema: object) -> bool:
    fields = schema.get("fields") if isinstance(schema, dict) else None
    if not fields:
        return False
    return bool(fields[0].get("name") == "run_id" and fields[0].get("type") == "string")


def run_id_of(value: bytes | None, fingerprints: frozenset[bytes]) -> bytes | None:
    """The run id (UTF-8) of a single-object value written with one of ``fingerprints``,
    or None when the value is not such an event or is cut short."""
    if value is None or value[:2] != MAGIC or value[2:HEADER_SIZE] not in fingerprints:
        return None
    length, start = _avro_long(value, HEADER_SIZE)
    if length is None or length < 0 or start + length > len(value):
        return None
    run_id = value[start : start + length]
    try:
        run_id.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return run_id


def _avro_long(data: bytes, at: int) -> tuple[int | None, int]:
    """An Avro ``long`` (zig-zag varint) at ``at``: (value, index after it), None if cut."""
    shift = raw = 0
    for index in range(at, min(len(data), at + 10)):
        byte = data[index]
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), index + 1
        shift += 7
    return None, at


@dataclass(frozen=True, slots=True)
class Forward:
    """Where a misplaced record goes: ``partition`` of its topic, keyed by its run id."""

    partition: int
    key: bytes


def forward_to(
    value: bytes | None,
    partition: int,
    partitions: Sequence[int],
    partitioner: Partitioner,
    fingerprints: frozenset[bytes],
) -> Forward | None:
    """Where a record with ``value`` on ``partition`` must be forwarded, or None when it is
    handled here: on its run's partition, or with no run id to place it by."""
    run_id = run_id_of(value, fingerprints)
    if run_id is None or not partitions:
        return None
    target = partitioner(run_id, partitions, ())
    return None if target == partition else Forward(target, run_id)


@dataclass
class Forwarder:
    """The coordinator's forwarding of misplaced run-keyed records (see the module doc)."""

    topics: frozenset[str]
    fingerprints: frozenset[bytes]
    placement: Placement
    counters: Counter[str]
    clock: Callable[[], float] = time.monotonic
    _logged_at: dict[str, float] = field(default_factory=dict)
    _unlogged: Counter[str] = field(default_factory=Counter)

    def forward(self, record: ConsumerRecord[bytes, bytes]) -> Outgoing | None:
        """The forward of ``record`` to its run's partition, or None to handle it here."""
        if record.topic not in self.topics:
            return None
        partitions, partitioner = self.placement(record.topic)
        forward = forward_to(
            record.value, record.partition, partitions, partitioner, self.fingerprints
        )
        if forward is None:
            return None
        self.counters["forwarded"] += 1
        self._note(record, forward)
        return Outgoing(record.topic, forward.key, record.value, list(record.headers))

    def _note(self, record: ConsumerRecord[bytes, bytes], forward: Forward) -> None:
        """Log the forward: at DEBUG each, at INFO the first per topic and then at most one
        line per ``LOG_EVERY_S`` with the number forwarded since the last."""
        topic, now = record.topic, self.clock()
        where = (topic, record.partition, record.offset, forward.partition)
        log.debug("forwarding %s[%s]@%s to partition %d", *where)
        self._unlogged[topic] += 1
        last = self._logged_at.get(topic)
        if last is not None and now - last < LOG_EVERY_S:
            return
        count, self._unlogged[topic], self._logged_at[topic] = self._unlogged[topic], 0, now
        log.info(
            "forwarded %d record(s) of %s to their run's partition (latest: run %s, key %r, "
            "partition %d -> %d): their producer does not partition by run id with murmur2 "
            "(Java's default partitioner); each costs one extra hop",
            count,
            topic,
            forward.key.decode(),
            record.key,
            record.partition,
            forward.partition,
        )
