"""What the lag monitor sees and what it reports: plain frozen values, no I/O.

A :class:`GroupSample` is one look at a consumer group at time ``taken_at`` (seconds
since the epoch, passed in: nothing here reads a clock); a :class:`GroupLag` is what
``_status.group_lag`` makes of a window of them, and a :class:`LagReport` holds one
per group.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LagStatus(StrEnum):
    """A group's health over the window, in the spirit of Burrow's rules (``_status``)."""

    OK = "OK"
    WARNING = "WARNING"
    STALLED = "STALLED"
    STOPPED = "STOPPED"


class GroupRole(StrEnum):
    """What a consumer group is to Podium."""

    COORDINATOR = "coordinator"
    SERVICE = "service"
    TRIGGER = "trigger"
    OTHER = "other"


@dataclass(frozen=True)
class PartitionSample:
    """One partition of a group: its committed offset, the log end, and the timestamp
    (ms) of the record at the committed offset, read only when the group lags there.

    ``markers_only``: no record follows the committed offset, only transaction markers
    (a ``read_committed`` consumer can commit just before the marker that ends the
    last transaction it read). That is no lag: nothing is waiting to be consumed.
    """

    topic: str
    partition: int
    committed: int
    end: int
    oldest_unconsumed_ms: int | None = None
    markers_only: bool = False

    @property
    def lag(self) -> int:
        """Offsets not yet consumed; never negative (a commit can run ahead of a stale end)."""
        return 0 if self.markers_only else max(0, self.end - self.committed)


@dataclass(frozen=True)
class GroupSample:
    """A group's partitions and live member count at ``taken_at`` (epoch seconds)."""

    group: str
    taken_at: float
    members: int
    partitions: tuple[PartitionSample, ...]

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    @property
    def committed(self) -> dict[tuple[str, int], int]:
        return {(p.topic, p.partition): p.committed for p in self.partitions}


@dataclass(frozen=True, order=True)
class StepRef:
    """A pipeline step that sends its requests to a group's topic."""

    pipeline: str
    step: str


@dataclass(frozen=True)
class GroupIdentity:
    """What a user calls a group: its role, its service, and the steps it serves."""

    role: GroupRole
    service: str | None = None
    steps: tuple[StepRef, ...] = ()


@dataclass(frozen=True)
class PartitionLag:
    """One partition's lag in messages, and in seconds (None when its age is unknown)."""

    topic: str
    partition: int
    committed: int
    end: int
    lag_messages: int
    lag_seconds: float | None


@dataclass(frozen=True)
class GroupLag:
    """A group's lag over the window ending at its latest sample.

    ``rate`` (messages/s) comes from the committed offsets' movement across the window,
    None with a single sample; ``eta_seconds`` is ``lag_messages / rate``: 0 with no lag,
    None when nothing is being consumed (or the rate is unknown).
    """

    group: str
    identity: GroupIdentity
    taken_at: float
    members: int
    partitions: tuple[PartitionLag, ...]
    lag_messages: int
    lag_seconds: float | None
    rate: float | None
    eta_seconds: float | None
    status: LagStatus
    window_seconds: float

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(sorted({p.topic for p in self.partitions}))


@dataclass(frozen=True)
class DlqDepth:
    """The letters a dead-letter topic holds; ``complete`` False while the monitor has
    not yet read it to its end (a large DLQ takes more than one sample)."""

    topic: str
    messages: int
    complete: bool


@dataclass(frozen=True)
class LagReport:
    """Every Podium group's lag at ``taken_at``, sorted by group name, and the depth of
    every dead-letter topic."""

    taken_at: float
    window_seconds: float
    groups: tuple[GroupLag, ...]
    dlq: tuple[DlqDepth, ...] = ()

    def group(self, name: str) -> GroupLag | None:
        return next((g for g in self.groups if g.group == name), None)
