"""The coordinator's in-memory table stores: what reaches the changelog, what is re-read."""

from __future__ import annotations

import gc
import json
from dataclasses import dataclass, replace

from hypothesis import given
from hypothesis import strategies as st

from podium.contract import RunStatus, StepStatus
from podium.coordinator import RunState
from podium.coordinator._handle import (
    decode_state,
    encode_state,
    run_finished_at,
    run_is_finished,
)
from podium.coordinator.core._state import StepState
from podium.streams._store import PartitionStore, Retention, Table, stale_partitions

KEYS = st.sampled_from(["run-a", "run-b", "run-c"])
WRITES = st.lists(st.tuples(KEYS, st.one_of(st.none(), st.binary(min_size=1, max_size=4))))


def apply(store: PartitionStore[bytes], writes: list[tuple[str, bytes | None]]) -> None:
    for key, value in writes:
        if value is None:
            store.pop(key, None)
        else:
            store[key] = value


@given(WRITES, WRITES)
def test_replaying_the_changes_rebuilds_the_same_rows(
    first: list[tuple[str, bytes | None]], second: list[tuple[str, bytes | None]]
) -> None:
    """What a restore reads back (the changes of each batch, in order) equals the rows."""
    store: PartitionStore[bytes] = PartitionStore()
    replica: PartitionStore[bytes] = PartitionStore()
    for batch in (first, second):
        apply(store, batch)
        for key, value in store.changes():
            replica.restore(key, value)
    assert dict(replica) == dict(store)


def test_a_batch_writes_one_record_per_changed_key_the_last_value() -> None:
    store: PartitionStore[bytes] = PartitionStore()
    store["run-a"] = b"1"
    store["run-a"] = b"2"
    store["run-b"] = b"x"
    del store["run-b"]
    assert sorted(store.changes(), key=lambda change: change[0]) == [
        ("run-a", b"2"),
        ("run-b", None),
    ]
    assert store.changes() == []  # taken once


def test_restoring_is_not_a_change() -> None:
    store: PartitionStore[bytes] = PartitionStore()
    store.restore("run-a", b"1")
    store.restore("run-b", b"2")
    store.restore("run-b", None)
    assert dict(store) == {"run-a": b"1"}
    assert store.changes() == []


def test_stores_are_reread_when_new_or_written_by_someone_else() -> None:
    table: Table[bytes] = Table("app-runs-changelog")
    table.stores = {0: PartitionStore(), 1: PartitionStore()}
    table.written_to = {0: 10, 1: 5}
    # partition 0: the changelog ends where we left it; 1: someone wrote after us; 2: new
    assert stale_partitions(table, {0, 1, 2}, {0: 10, 1: 7, 2: 0}) == {1, 2}


def test_keep_only_forgets_partitions_handed_over() -> None:
    table: Table[bytes] = Table("app-runs-changelog")
    table.stores = {0: PartitionStore(), 1: PartitionStore()}
    table.written_to = {0: 3, 1: 4}
    table.keep_only({1})
    assert set(table.stores) == {1} and table.written_to == {1: 4}


def test_run_states_survive_the_changelog_encoding_and_read_older_json() -> None:
    state = RunState(
        run_id="r1",
        pipeline="ingest",
        version=2,
        status=RunStatus.RUNNING,
        created_at_ms=1,
        updated_at_ms=2,
        params={"uri": "s3://x"},
        compensation_queue=("a",),
    )
    assert decode_state(encode_state(state)) == state
    # what earlier versions wrote (json.dumps of to_dict, with spaces) still reads back
    assert decode_state(json.dumps(state.to_dict()).encode()) == state


def _run(run_id: str, status: str) -> RunState:
    step = StepState(status=StepStatus.SUCCEEDED if status == "succeeded" else StepStatus.RUNNING)
    return RunState(
        run_id=run_id,
        pipeline="ingest",
        version=1,
        status=RunStatus(status),
        created_at_ms=1,
        updated_at_ms=2,
        params={"uri": "s3://x", "n": [1, 2]},
        steps={"a": step, "b": StepState()},
    )


def _run_store() -> PartitionStore[RunState]:
    return PartitionStore(encode_state, decode_state, settled=run_is_finished)


def test_a_finished_run_reads_back_the_same_after_its_changelog_write() -> None:
    store = _run_store()
    done, busy = _run("r1", "succeeded"), _run("r2", "running")
    store["r1"], store["r2"] = done, busy
    written = dict(store.changes())
    assert store["r1"] == done and store["r2"] is busy
    assert "r1" in store and store.get("r3") is None
    assert list(store.unsettled_values()) == [busy]  # a finished run needs no timer
    replica = _run_store()
    for key, raw in written.items():
        replica.restore(key, raw)
    assert dict(replica) == {"r1": done, "r2": busy}
    assert list(replica.unsettled_values()) == [busy]


def test_a_finished_run_that_changes_again_is_written_again() -> None:
    store = _run_store()
    store["r1"] = _run("r1", "failed")
    store.changes()
    later = replace(store["r1"], ignored={"run-finished": 1})
    store["r1"] = later
    assert [key for key, _ in store.changes()] == ["r1"]
    assert store["r1"] == later


def test_finished_runs_add_no_objects_for_the_garbage_collector_to_walk() -> None:
    gc.collect()
    before = len(gc.get_objects())
    store = _run_store()
    for number in range(500):
        store[f"r{number}"] = _run(f"r{number}", "succeeded")
    store.changes()
    gc.collect()
    # a decoded run is a dozen tracked objects: 500 of them would add thousands
    assert len(gc.get_objects()) - before < 100
    assert len(store) == 500


# -- retention of settled rows ---------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A table value for the retention tests: ``done`` rows settle at ``at`` (epoch ms)."""

    done: bool
    at: int


def _encode_row(row: Row) -> bytes:
    return json.dumps([row.done, row.at]).encode()


def _decode_row(raw: bytes) -> Row:
    done, at = json.loads(raw)
    return Row(done, at)


def _row_store() -> PartitionStore[Row]:
    return PartitionStore(_encode_row, _decode_row, lambda row: row.done, lambda row: row.at)


ROWS = st.builds(Row, st.booleans(), st.integers(0, 100))
OPS = st.lists(st.tuples(KEYS, st.one_of(st.none(), ROWS)), max_size=30)


@given(OPS, st.integers(0, 101), st.booleans())
def test_exactly_the_rows_settled_before_the_cutoff_are_evicted(
    ops: list[tuple[str, Row | None]], cutoff: int, restarted: bool
) -> None:
    """Whatever was written, changed or deleted (and whether the store was rebuilt from
    its changelog since): eviction removes the settled rows older than the cutoff, each
    with a tombstone, and nothing else."""
    store = _row_store()
    for key, row in ops:
        if row is None:
            store.pop(key, None)
        else:
            store[key] = row
        store.changes()
    if restarted:
        replica = _row_store()
        for key in store:
            replica.restore(key, _encode_row(store[key]))
        store = replica
    before = dict(store)
    due = {key for key, row in before.items() if row.done and row.at < cutoff}

    assert set(store.evict_settled(cutoff)) == due
    assert dict(store) == {key: row for key, row in before.items() if key not in due}
    assert sorted(store.changes()) == sorted((key, None) for key in due)
    assert store.evict_settled(cutoff) == []  # each row once


def test_a_finished_run_is_evicted_a_retention_after_it_finished() -> None:
    """Counted from its finish (not from when this instance saw it), and only once the
    retention has passed."""
    retention = Retention(keep_ms=1_000, settled_at=run_finished_at)
    table = Table("runs-changelog", encode_state, decode_state, run_is_finished, retention)
    table.new_store(0)
    table.store(0)["run-a"] = replace(_run("run-a", "succeeded"), finished_at_ms=8_000)
    table.store(0).changes()

    assert table.evict_settled(now_ms=8_999, partitions=[0]) == 0
    assert table.evict_settled(now_ms=9_001, partitions=[1]) == 0  # not a partition held
    assert table.evict_settled(now_ms=9_001, partitions=[0]) == 1
    assert "run-a" not in table.store(0)
    assert table.store(0).changes() == [("run-a", None)]


def test_a_run_still_going_is_never_evicted() -> None:
    retention = Retention(keep_ms=0, settled_at=run_finished_at)
    table = Table("runs-changelog", encode_state, decode_state, run_is_finished, retention)
    table.new_store(0)
    table.store(0)["run-a"] = _run("run-a", "running")
    table.store(0).changes()
    assert table.evict_settled(now_ms=10**12, partitions=[0]) == 0
    assert "run-a" in table.store(0)


def test_a_table_without_retention_keeps_finished_runs() -> None:
    table = Table("runs-changelog", encode_state, decode_state, run_is_finished)
    table.new_store(0)
    table.store(0)["run-a"] = replace(_run("run-a", "failed"), finished_at_ms=0)
    table.store(0).changes()
    assert table.evict_settled(now_ms=10**12, partitions=[0]) == 0
    assert "run-a" in table.store(0)
