"""The coordinator's tables, in memory, one store per owned partition.

A table (``runs``: run id -> RunState; ``admissions``: pipeline -> queue JSON) is
backed by a compacted changelog topic with the same partition count as its input
topics, so partition ``p`` of the table is exactly what the inputs' partition ``p``
wrote. A store holds decoded rows and remembers which keys changed since its changes
were last taken: the engine writes one changelog record per changed key per batch
(the last value wins, so ten events for one run in a batch cost one encoding and one
changelog write, not ten; and no event pays for decoding its run's state).

A *settled* row (``settled(value)``: for runs, a finished run) is read rarely and never
changed by the normal flow. Once its changelog record is encoded, the store keeps those
bytes in its place and decodes them on the rare read: one bytes object instead of a tree
of a dozen, so memory per finished run shrinks and the garbage collector's full
collections no longer walk every run ever finished (they paused the coordinator for
40-55 ms at a few thousand runs).

A table given a ``Retention`` forgets a settled row ``keep_ms`` after it settled
(``settled_at(value)``, epoch ms): ``evict_settled`` deletes it, which writes a
tombstone, so the compacted changelog drops it too. Without a retention, memory and the
time to restore a partition would grow with every run ever finished. Settled rows wait
in a heap by the time they settled, so an eviction pass never scans the table.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

V = TypeVar("V")


def _same(raw: bytes) -> bytes:
    return raw


class PartitionStore(MutableMapping[str, V], Generic[V]):
    """One partition's rows; ``changes()`` hands over, encoded, what to write to the
    changelog; ``restore`` applies a changelog record. With ``settled``, values must not
    be bytes themselves (a bytes row is a settled one, kept encoded); with ``settled_at``
    too, settled rows can be evicted by age (``evict_settled``)."""

    def __init__(
        self,
        encode: Callable[[V], bytes] = _same,  # type: ignore[assignment]
        decode: Callable[[bytes], V] = _same,  # type: ignore[assignment]
        settled: Callable[[V], bool] | None = None,
        settled_at: Callable[[V], int] | None = None,
    ) -> None:
        self._encode = encode
        self._decode = decode
        self._settled = settled
        self._settled_at = settled_at
        self._rows: dict[str, Any] = {}  # V, or a settled row's encoded bytes
        self._changed: dict[str, V | None] = {}
        self._by_age: list[tuple[int, str, bytes]] = []
        """(settled at, key, the row's bytes then): a heap; an entry whose bytes are no
        longer the key's row (changed or deleted since) is stale and skipped."""

    def __getitem__(self, key: str) -> V:
        row = self._rows[key]
        if row.__class__ is bytes and self._settled is not None:
            decoded: V = self._decode(row)
            return decoded
        return row  # type: ignore[no-any-return]

    def __contains__(self, key: object) -> bool:
        return key in self._rows  # without decoding a settled row

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
            return
        value = self._decode(raw)
        if self._settled is not None and self._settled(value):
            self._keep_settled(key, value, raw)
        else:
            self._rows[key] = value

    def changes(self) -> list[tuple[str, bytes | None]]:
        """The changed keys' latest values, encoded (None: deleted), since the last call;
        a settled value is kept as those bytes from now on."""
        changed, self._changed = self._changed, {}
        encoded: list[tuple[str, bytes | None]] = []
        settled = self._settled
        for key, value in changed.items():
            if value is None:
                encoded.append((key, None))
                continue
            raw = self._encode(value)
            if settled is not None and settled(value):
                self._keep_settled(key, value, raw)
            encoded.append((key, raw))
        return encoded

    def _keep_settled(self, key: str, value: V, raw: bytes) -> None:
        self._rows[key] = raw
        if self._settled_at is not None:
            heapq.heappush(self._by_age, (self._settled_at(value), key, raw))

    def evict_settled(self, settled_before_ms: int) -> list[str]:
        """Delete the settled rows that settled before ``settled_before_ms`` (each leaves
        a tombstone in ``changes()``); returns their keys."""
        evicted: list[str] = []
        by_age = self._by_age
        while by_age and by_age[0][0] < settled_before_ms:
            _, key, raw = heapq.heappop(by_age)
            if self._rows.get(key) is raw:  # else changed or deleted since: stale
                del self[key]
                evicted.append(key)
        return evicted

    def unsettled_values(self) -> Iterator[V]:
        """The rows not settled, without decoding any settled one."""
        for row in self._rows.values():
            if row.__class__ is not bytes or self._settled is None:
                yield row


@dataclass(frozen=True)
class Retention(Generic[V]):
    """How long a table keeps a settled row: ``keep_ms`` after ``settled_at(value)``."""

    keep_ms: int
    settled_at: Callable[[V], int]


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
        settled: Callable[[V], bool] | None = None,
        retention: Retention[V] | None = None,
    ) -> None:
        self.changelog = changelog
        self.encode = encode
        self.decode = decode
        self.settled = settled
        self.retention = retention
        self.stores: dict[int, PartitionStore[V]] = {}
        self.written_to: dict[int, int] = {}

    def store(self, partition: int) -> PartitionStore[V]:
        return self.stores[partition]

    def new_store(self, partition: int) -> None:
        """An empty store for ``partition`` (replacing any held), to restore into."""
        settled_at = self.retention.settled_at if self.retention is not None else None
        self.stores[partition] = PartitionStore(self.encode, self.decode, self.settled, settled_at)

    def keep_only(self, partitions: set[int]) -> None:
        """Forget the partitions no longer held here."""
        for partition in set(self.stores) - partitions:
            del self.stores[partition]
            self.written_to.pop(partition, None)

    def unsettled_values(self) -> Iterator[V]:
        """Every partition's rows that are not settled (for runs: the unfinished ones)."""
        for store in self.stores.values():
            yield from store.unsettled_values()

    def evict_settled(self, now_ms: int, partitions: Iterable[int]) -> int:
        """Evict, in ``partitions``, the settled rows older than the retention; returns
        how many (none without a retention)."""
        if self.retention is None:
            return 0
        before_ms = now_ms - self.retention.keep_ms
        stores = self.stores
        return sum(
            len(stores[partition].evict_settled(before_ms))
            for partition in partitions
            if partition in stores
        )


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
