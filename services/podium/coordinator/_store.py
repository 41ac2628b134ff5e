"""The coordinator's tables, in memory, one store per owned partition.

A table (``runs``: run id -> RunState; ``admissions``: pipeline -> queue JSON) is
backed by a compacted changelog topic with the same partition count as its input
topics, so partition ``p`` of the table is exactly what the inputs' partition ``p``
wrote. A store holds decoded rows and remembers which keys changed since its changes
were last taken: the engine writes one changelog record per changed key per batch
(the last value wins, so ten events for one run in a batch cost one encoding and one
changelog write, not ten; and no event pays for decoding its run's state).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Generic, TypeVar

V = TypeVar("V")


def _same(raw: bytes) -> bytes:
    return raw


class PartitionStore(MutableMapping[str, V], Generic[V]):
    """One partition's rows; ``changes()`` hands over, encoded, what to write to the
    changelog; ``restore`` applies a changelog record."""

    def __init__(
        self,
        encode: Callable[[V], bytes] = _same,  # type: ignore[assignment]
        decode: Callable[[bytes], V] = _same,  # type: ignore[assignment]
    ) -> None:
        self._encode = encode
        self._decode = decode
        self._rows: dict[str, V] = {}
        self._changed: dict[str, V | None] = {}

    def __getitem__(self, key: str) -> V:
        return self._rows[key]

    def __setitem__(self, key: str, value: V) -> None:
        self._rows[key] = value
        self._changed[key] = value

    def __delitem__(self, key: str) -> None:
        del self._rows[key]
        self._changed[key] = None  # a tombstone, so compaction forgets the key too

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def restore(self, key: str, raw: bytes | None) -> None:
        """Apply one changelog record (None deletes); restoring is not a change."""
        if raw is None:
            self._rows.pop(key, None)
        else:
            self._rows[key] = self._decode(raw)

    def changes(self) -> list[tuple[str, bytes | None]]:
        """The changed keys' latest values, encoded (None: deleted), since the last call."""
        changed, self._changed = self._changed, {}
        return [
            (key, None if value is None else self._encode(value)) for key, value in changed.items()
        ]


def changelog_topic(app_id: str, table: str) -> str:
    """The changelog of ``table``, named as the faust-based coordinator named it, so a
    table written by an earlier version is read back."""
    return f"{app_id}-{table}-changelog"


class Table(Generic[V]):
    """A named table: its changelog topic and the stores of the partitions held here.

    ``written_to[p]`` is the changelog offset just past the last record of partition ``p``
    this instance restored or wrote: when the changelog's end is still there at the next
    assignment, nobody else wrote the partition meanwhile and the store can be kept.
    """

    def __init__(
        self,
        changelog: str,
        encode: Callable[[V], bytes] = _same,  # type: ignore[assignment]
        decode: Callable[[bytes], V] = _same,  # type: ignore[assignment]
    ) -> None:
        self.changelog = changelog
        self.encode = encode
        self.decode = decode
        self.stores: dict[int, PartitionStore[V]] = {}
        self.written_to: dict[int, int] = {}

    def store(self, partition: int) -> PartitionStore[V]:
        return self.stores[partition]

    def new_store(self, partition: int) -> None:
        """An empty store for ``partition`` (replacing any held), to restore into."""
        self.stores[partition] = PartitionStore(self.encode, self.decode)

    def keep_only(self, partitions: set[int]) -> None:
        """Forget the partitions no longer held here."""
        for partition in set(self.stores) - partitions:
            del self.stores[partition]
            self.written_to.pop(partition, None)

    def values(self) -> Iterator[V]:
        for store in self.stores.values():
            yield from store.values()


def stale_partitions(
    table: Table[V], partitions: set[int], changelog_ends: dict[int, int]
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
