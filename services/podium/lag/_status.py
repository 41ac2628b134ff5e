"""The lag monitor's decisions: a sliding window of samples -> lag, rate, ETA and status.

Pure: samples come in with their time, nothing here reads a clock or Kafka.

The status of a group, judged on the window (oldest sample first, newest last), in the
spirit of Burrow's evaluation rules:

- **OK**: no lag at the newest sample, or a single sample (nothing to compare yet), or
  lag that is being worked off.
- **STOPPED**: lag > 0, no committed offset moved across the window, the group has no
  live member, and either the window spans at least ``window_s`` or the oldest
  unconsumed message has waited that long (with no member nobody can be consuming it,
  so its age alone shows the group has not moved for the window). Kafka's OffsetFetch
  gives no commit timestamps, so "no commit for longer than the window" is read as "the
  committed offsets are the same in every sample of a window at least ``window_s``
  long": the window keeps the newest sample older than ``window_s`` as its anchor
  (:func:`slide`), so once the monitor has run that long the span covers the whole window.
- **STALLED**: lag > 0, no committed offset moved across a window spanning at least
  ``window_s``, and the group has live members: consumers are there but not getting
  anywhere. A shorter window (``podium lag`` without ``--watch``) cannot tell a stall
  from a consumer between two commits, so it never says STALLED.
- **WARNING**: lag > 0 and growing: it never fell from one sample to the next, and the
  newest is above the oldest.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from podium.lag._model import (
    GroupIdentity,
    GroupLag,
    GroupSample,
    LagStatus,
    PartitionLag,
    PartitionSample,
)

Window = tuple[GroupSample, ...]


def slide(window: Window, sample: GroupSample, window_s: float) -> Window:
    """``window`` with ``sample`` appended and samples older than ``window_s`` dropped,
    but for the newest of those: it anchors the window so its span reaches ``window_s``."""
    samples = (*window, sample)
    cutoff = sample.taken_at - window_s
    first_inside = next(i for i, s in enumerate(samples) if s.taken_at >= cutoff)
    return samples[max(first_inside - 1, 0) :]


def span(samples: Sequence[GroupSample]) -> float:
    """Seconds from the oldest sample to the newest."""
    return samples[-1].taken_at - samples[0].taken_at


def commits_moved(samples: Sequence[GroupSample]) -> bool:
    """Whether any committed offset changed (a new partition's first commit counts)."""
    return any(a.committed != b.committed for a, b in pairwise(samples))


def lag_growing(samples: Sequence[GroupSample]) -> bool:
    lags = [s.lag for s in samples]
    return lags[-1] > lags[0] and all(b >= a for a, b in pairwise(lags))


def status(
    samples: Sequence[GroupSample], window_s: float, waited_s: float | None = None
) -> LagStatus:
    """The group's status over ``samples``, its oldest unconsumed message ``waited_s``
    old (None: unknown); see the module docstring for the rules."""
    latest = samples[-1]
    if latest.lag == 0 or len(samples) < 2:
        return LagStatus.OK
    if not commits_moved(samples):
        long_enough = span(samples) >= window_s
        if latest.members > 0 and long_enough:
            return LagStatus.STALLED
        if latest.members == 0 and (long_enough or (waited_s or 0.0) >= window_s):
            return LagStatus.STOPPED
    return LagStatus.WARNING if lag_growing(samples) else LagStatus.OK


def rate(samples: Sequence[GroupSample]) -> float | None:
    """Messages consumed per second: the committed offsets' advance over the window's
    span, on the partitions both ends know; None with one sample or no elapsed time.
    A commit moved back (an offset reset) counts as no progress, not negative progress."""
    elapsed = span(samples)
    if len(samples) < 2 or elapsed <= 0:
        return None
    first, last = samples[0].committed, samples[-1].committed
    advanced = sum(max(0, last[key] - first[key]) for key in first.keys() & last.keys())
    return advanced / elapsed


def eta(lag_messages: int, messages_per_s: float | None) -> float | None:
    """Seconds to drain at the current rate: 0 with no lag, None when not draining."""
    if lag_messages == 0:
        return 0.0
    if not messages_per_s:
        return None
    return lag_messages / messages_per_s


def partition_lag(sample: PartitionSample, now: float) -> PartitionLag:
    """Lag seconds: how long the oldest unconsumed record has waited (0 with no lag)."""
    seconds: float | None = 0.0
    if sample.lag:
        stamp = sample.oldest_unconsumed_ms
        seconds = None if stamp is None else max(0.0, now - stamp / 1000)
    return PartitionLag(
        sample.topic, sample.partition, sample.committed, sample.end, sample.lag, seconds
    )


def oldest_wait(partitions: Sequence[PartitionLag]) -> float | None:
    """The group's lag seconds: its longest-waiting partition's (None if none is known)."""
    known = [p.lag_seconds for p in partitions if p.lag_seconds is not None]
    return max(known, default=None)


def group_lag(samples: Sequence[GroupSample], identity: GroupIdentity, window_s: float) -> GroupLag:
    """The report of one group over its window (``samples``, oldest first)."""
    latest = samples[-1]
    ordered = sorted(latest.partitions, key=lambda p: (p.topic, p.partition))
    partitions = tuple(partition_lag(p, latest.taken_at) for p in ordered)
    messages_per_s = rate(samples)
    waited_s = oldest_wait(partitions)
    return GroupLag(
        group=latest.group,
        identity=identity,
        taken_at=latest.taken_at,
        members=latest.members,
        partitions=partitions,
        lag_messages=latest.lag,
        lag_seconds=waited_s,
        rate=messages_per_s,
        eta_seconds=eta(latest.lag, messages_per_s),
        status=status(samples, window_s, waited_s),
        window_seconds=span(samples),
    )
