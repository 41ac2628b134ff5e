"""Cancel notices (StepCancelRequested): which handler to stop, which request to skip. Pure.

The coordinator sends a cancel notice to the step's request topic when a run no
longer needs a running attempt (the run was cancelled or failed). Both messages
are keyed by run id, so within a partition the notice always comes after its
request. Two cases follow:

- the attempt is running here: its handle (the handler's task) is returned, for
  the runner to cancel;
- it is not (already finished, or running elsewhere before a rebalance): the key
  is remembered, so a request redelivered later (after a restart, say) is
  skipped instead of run.

Every cancelled key is remembered, up to ``remember`` of them (oldest forgotten
first): enough to cover redeliveries, bounded so a long-lived service does not
grow without limit.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
H = TypeVar("H")

DEFAULT_REMEMBER = 1000


class Cancellations(Generic[K, H]):
    """Running attempts by key (with a handle to stop them), and recently cancelled keys."""

    def __init__(self, remember: int = DEFAULT_REMEMBER) -> None:
        if remember < 1:
            raise ValueError("remember must be >= 1: a cancel must outlive at least itself")
        self._remember = remember
        self._running: dict[K, H] = {}
        self._cancelled: OrderedDict[K, None] = OrderedDict()

    def cancel(self, key: K) -> H | None:
        """A notice for ``key``: remember it; the running attempt's handle, if any, to stop."""
        self._cancelled[key] = None
        self._cancelled.move_to_end(key)
        while len(self._cancelled) > self._remember:
            self._cancelled.popitem(last=False)
        return self._running.get(key)

    def is_cancelled(self, key: K) -> bool:
        """True when a notice for ``key`` came (and is still remembered): do not run it,
        and send no result for it."""
        return key in self._cancelled

    def track(self, key: K, handle: H) -> None:
        """``key`` started running; ``handle`` is what :meth:`cancel` returns for it."""
        self._running[key] = handle

    def untrack(self, key: K) -> None:
        """``key`` stopped running (finished, failed or cancelled)."""
        self._running.pop(key, None)

    def running(self) -> int:
        """How many tracked attempts are running."""
        return len(self._running)
