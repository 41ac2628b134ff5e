"""The waiter's book of one keyed partition (pure): which waits and events are open, and
which pair. No clock: callers pass ``now_ms``.

- An event pairs with every open wait of its key that it is for (``fits``); a wait with
  the first open event of its key that fits it. A wait pairs once: it closes then. An
  event pairs only with waits requested before it expired: an old event read again
  after a restart ends no wait that began after its keep.
- An event stays open until it expires, for waits that come later (the event that
  arrives before its run reaches the step); a wait until its deadline.
- Reading the same event (``origin``) or the same wait attempt twice changes nothing, so
  a redelivered event completes no second attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from podium.waits._model import Arrival, Wait

Fits = Callable[[Wait, Arrival], bool]


@dataclass(frozen=True)
class Pairing:
    wait: Wait
    arrival: Arrival


@dataclass
class WaitBook:
    fits: Fits
    waits: dict[str, list[Wait]] = field(default_factory=dict)
    arrivals: dict[str, list[Arrival]] = field(default_factory=dict)
    closed: dict[tuple[str, str, int], int] = field(default_factory=dict)
    """Attempts already paired (or expired), to their deadline: a redelivered wait stays
    closed (after its deadline it is refused anyway)."""
    seen: dict[str, int] = field(default_factory=dict)
    """Origins of the events read, to their expiry, so a second read is ignored."""

    def add_wait(self, wait: Wait, now_ms: int) -> list[Pairing]:
        if wait.attempt_id in self.closed or wait.deadline_ms <= now_ms:
            return []
        if any(open_.attempt_id == wait.attempt_id for open_ in self.waits.get(wait.key, [])):
            return []
        for arrival in self.arrivals.get(wait.key, []):
            if arrival.expires_ms > now_ms and self._pairs(wait, arrival):
                self.closed[wait.attempt_id] = wait.deadline_ms
                return [Pairing(wait, arrival)]
        self.waits.setdefault(wait.key, []).append(wait)
        return []

    def add_arrival(self, arrival: Arrival, now_ms: int) -> list[Pairing]:
        if arrival.origin in self.seen:
            return []
        self.seen[arrival.origin] = arrival.expires_ms
        waits = self.waits.get(arrival.key, [])
        pairings = [Pairing(w, arrival) for w in waits if self._pairs(w, arrival)]
        for pairing in pairings:
            self._close(pairing.wait)
        if arrival.expires_ms > now_ms:
            self.arrivals.setdefault(arrival.key, []).append(arrival)
        return pairings

    def expire(self, now_ms: int) -> tuple[list[Wait], list[Arrival]]:
        """Close the waits past their deadline and drop the events past their keep."""
        late = [w for waits in self.waits.values() for w in waits if w.deadline_ms <= now_ms]
        for wait in late:
            self._close(wait)
        old = [a for items in self.arrivals.values() for a in items if a.expires_ms <= now_ms]
        for arrival in old:
            self._drop(arrival)
        self.closed = {key: at for key, at in self.closed.items() if at > now_ms}
        self.seen = {origin: at for origin, at in self.seen.items() if at > now_ms}
        return late, old

    def _pairs(self, wait: Wait, arrival: Arrival) -> bool:
        return arrival.expires_ms > wait.requested_ms and self.fits(wait, arrival)

    def open_waits(self) -> list[Wait]:
        return [wait for waits in self.waits.values() for wait in waits]

    def close(self, wait: Wait) -> None:
        """Close an open wait without an event (its default outcome was sent)."""
        self._close(wait)

    def _close(self, wait: Wait) -> None:
        self.closed[wait.attempt_id] = wait.deadline_ms
        left = [w for w in self.waits.get(wait.key, []) if w.attempt_id != wait.attempt_id]
        if left:
            self.waits[wait.key] = left
        else:
            self.waits.pop(wait.key, None)

    def _drop(self, arrival: Arrival) -> None:
        left = [a for a in self.arrivals.get(arrival.key, []) if a.origin != arrival.origin]
        if left:
            self.arrivals[arrival.key] = left
        else:
            self.arrivals.pop(arrival.key, None)
