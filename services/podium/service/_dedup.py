"""Duplicate requests while the first is in flight: run once, finish together.

At-least-once delivery (a producer retry, a coordinator replaying a decision
after a restart) can deliver the same (run, step, attempt) twice. The first
copy runs; later copies wait as followers, produce nothing, and count as done
(so their offsets get committed) only when the first's result is acknowledged.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class InFlight(Generic[K, T]):
    """Keys being worked on, each with the tokens (offsets) of its duplicates."""

    def __init__(self) -> None:
        self._followers: dict[K, list[T]] = {}

    def claim(self, key: K, token: T) -> bool:
        """True: run it. False: ``key`` is in flight; ``token`` now follows it."""
        followers = self._followers.get(key)
        if followers is None:
            self._followers[key] = []
            return True
        followers.append(token)
        return False

    def release(self, key: K) -> list[T]:
        """The first copy ended: the followers' tokens, to finish with it."""
        return self._followers.pop(key, [])

    def __contains__(self, key: object) -> bool:
        return key in self._followers

    def __len__(self) -> int:
        return len(self._followers)
