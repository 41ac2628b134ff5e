"""Counters of the waiter since it started (read by its Prometheus collector)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class WaitStats:
    waits: int = 0
    """Waiting step attempts taken in."""
    events: int = 0
    """Events (and signals) that may end a wait, taken in."""
    unmatched: int = 0
    """Events on a waited-on topic that no waiting step takes."""
    undecodable: int = 0
    """Records the waiter could not read (counted, never dead-lettered: not its topics)."""
    unknown: int = 0
    """Requests of steps that are not waiting steps of a published pipeline."""
    completed: int = 0
    """Results sent: completions and failures."""
    expired: int = 0
    """Events dropped after their keep without a wait."""
    errors: int = 0
