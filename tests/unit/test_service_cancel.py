"""Cancel-notice bookkeeping of the step-service SDK, without Kafka: which running handler a
notice stops, which later request it skips, and how much it remembers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.service._cancel import Cancellations
from podium.service.testing import make_cancel, make_request

Key = tuple[str, str, int]


def test_a_notice_for_a_running_attempt_returns_its_handle_to_stop() -> None:
    book: Cancellations[Key, str] = Cancellations()
    book.track(("r1", "load", 1), "task-1")
    assert book.cancel(("r1", "load", 1)) == "task-1"
    assert book.is_cancelled(("r1", "load", 1))  # so its result, if any, is not sent


def test_only_the_same_run_step_and_attempt_is_cancelled() -> None:
    book: Cancellations[Key, str] = Cancellations()
    book.track(("r1", "load", 2), "task-2")
    assert book.cancel(("r1", "load", 1)) is None  # an older attempt: nothing to stop
    assert not book.is_cancelled(("r1", "load", 2))
    assert not book.is_cancelled(("r2", "load", 1)) and not book.is_cancelled(("r1", "x", 1))


def test_a_notice_for_something_not_running_makes_a_later_request_skip() -> None:
    book: Cancellations[Key, str] = Cancellations()
    assert book.cancel(("r1", "load", 1)) is None
    assert book.is_cancelled(("r1", "load", 1))
    assert book.running() == 0


def test_a_finished_attempt_is_no_longer_stopped() -> None:
    book: Cancellations[Key, str] = Cancellations()
    book.track(("r1", "load", 1), "task-1")
    book.untrack(("r1", "load", 1))
    assert book.cancel(("r1", "load", 1)) is None and book.running() == 0


def test_memory_is_bounded_and_forgets_the_oldest_first() -> None:
    book: Cancellations[Key, str] = Cancellations(remember=2)
    for attempt in (1, 2, 3):
        book.cancel(("r1", "s", attempt))
    assert [book.is_cancelled(("r1", "s", a)) for a in (1, 2, 3)] == [False, True, True]
    with pytest.raises(ValueError, match="remember must be >= 1"):
        Cancellations(remember=0)


@given(
    st.lists(st.integers(0, 20), max_size=60),
    st.integers(1, 10),
)
def test_the_remembered_keys_are_the_most_recently_cancelled(keys: list[int], limit: int) -> None:
    book: Cancellations[int, None] = Cancellations(remember=limit)
    for key in keys:
        book.cancel(key)
    recent: list[int] = []
    for key in reversed(keys):  # distinct keys, newest cancel first
        if key not in recent:
            recent.append(key)
    assert {k for k in range(21) if book.is_cancelled(k)} == set(recent[:limit])


def test_make_cancel_names_the_request_it_cancels() -> None:
    request = make_request("load", attempt=3)
    notice = make_cancel(request, reason="user asked")
    assert (notice.run_id, notice.step, notice.attempt) == (request.run_id, "load", 3)
    assert notice.reason == "user asked"
