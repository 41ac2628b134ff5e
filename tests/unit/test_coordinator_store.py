"""The coordinator's in-memory table stores: what reaches the changelog, what is re-read."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._store import PartitionStore, Table, stale_partitions

KEYS = st.sampled_from(["run-a", "run-b", "run-c"])
WRITES = st.lists(st.tuples(KEYS, st.one_of(st.none(), st.binary(min_size=1, max_size=4))))


def apply(store: PartitionStore, writes: list[tuple[str, bytes | None]]) -> None:
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
    store, replica = PartitionStore(), PartitionStore()
    for batch in (first, second):
        apply(store, batch)
        for key, value in store.changes():
            replica.restore(key, value)
    assert dict(replica) == dict(store)


def test_a_batch_writes_one_record_per_changed_key_the_last_value() -> None:
    store = PartitionStore()
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
    store = PartitionStore()
    store.restore("run-a", b"1")
    store.restore("run-b", b"2")
    store.restore("run-b", None)
    assert dict(store) == {"run-a": b"1"}
    assert store.changes() == []


def test_stores_are_reread_when_new_or_written_by_someone_else() -> None:
    table = Table("app-runs-changelog")
    table.stores = {0: PartitionStore(), 1: PartitionStore()}
    table.written_to = {0: 10, 1: 5}
    # partition 0: the changelog ends where we left it; 1: someone wrote after us; 2: new
    assert stale_partitions(table, {0, 1, 2}, {0: 10, 1: 7, 2: 0}) == {1, 2}


def test_keep_only_forgets_partitions_handed_over() -> None:
    table = Table("app-runs-changelog")
    table.stores = {0: PartitionStore(), 1: PartitionStore()}
    table.written_to = {0: 3, 1: 4}
    table.keep_only({1})
    assert set(table.stores) == {1} and table.written_to == {1: 4}


def test_run_states_survive_the_changelog_encoding_and_read_older_json() -> None:
    from podium.coordinator import RunState, RunStatus
    from podium.coordinator._handle import decode_state, encode_state

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
