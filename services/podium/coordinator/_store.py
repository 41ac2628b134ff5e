"""The coordinator's tables, in memory, one store per owned partition.

A table (``runs``: run id -> RunState JSON; ``admissions``: pipeline -> queue) is
backed by a compacted changelog topic with the same partition count as its input
topics, so partition ``p`` of the table is exactly what the inputs' partition ``p``
wrote. A store remembers which keys changed since its changes were last taken: the
engine writes one changelog record per changed key per batch (the last value wins,
so ten events for one run in a batch cost one changelog write, not ten).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping


class PartitionStore(MutableMapping[str, bytes]):
    """One partition's rows; ``changes()`` hands over what to write to the changelog."""

    def __init__(self) -> None:
        self._rows: dict[str, bytes] = {}
        self._changed: dict[str, bytes | None] = {}

    def __getitem__(self, key: str) -> bytes:
        return self._rows[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        self._rows[key] = value
        self._changed[key] = value

    def __delitem__(self, key: str) -> None:
        del self._rows[key]
        self._changed[key] = None  # a tombstone, so compaction forgets the key too

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def restore(self, key: str, value: bytes | None) -> None:
        """Apply one changelog record (None deletes); restoring is not a change."""
        if value is None:
            self._rows.pop(key, None)
        else:
            self._rows[key] = value

    def changes(self) -> list[tuple[str, bytes | None]]:
        """The changed keys' latest values (None: deleted) since the last call, cleared."""
        changed, self._changed = self._changed, {}
        return list(changed.items())


class Table:
    """A named table: its changelog topic and the stores of the partitions held here.

    ``written_to[p]`` is the changelog offset just past the last record of partition ``p``
    this instance restored or wrote: when the changelog's end is still there at the next
    assignment, nobody else wrote the partition meanwhile and the store can be kept.
    """

    def __init__(self, name: str, changelog: str) -> None:
        self.name = name
        self.changelog = changelog
        self.stores: dict[int, PartitionStore] = {}
        self.written_to: dict[int, int] = {}

    def store(self, partition: int) -> PartitionStore:
        return self.stores[partition]

    def keep_only(self, partitions: set[int]) -> None:
        """Forget the partitions no longer held here."""
        for partition in set(self.stores) - partitions:
            del self.stores[partition]
            self.written_to.pop(partition, None)

    def values(self) -> Iterator[bytes]:
        for store in self.stores.values():
            yield from store.values()


def stale_partitions(
    table: Table, partitions: set[int], changelog_ends: dict[int, int]
) -> set[int]:
    """Which of ``partitions`` must be (re)read from the changelog (pure): those not held
    here, and those whose changelog grew past what this instance last saw (another
    instance owned them in between)."""
    return {
        partition
        for partition in partitions
        if partition not in table.stores
        or table.written_to.get(partition) != changelog_ends.get(partition, 0)
    }
