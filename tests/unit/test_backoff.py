"""Retry delays: exponential, capped, jittered deterministically."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator.core import compute_backoff
from podium.pipelines import RetryPolicy


def test_delay_doubles_per_attempt_without_jitter() -> None:
    policy = RetryPolicy(initial_backoff=1.0, factor=2.0, max_backoff=60.0, jitter=0.0)
    delays = [compute_backoff(policy, attempt, seed="s") for attempt in range(1, 6)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_delay_is_capped_by_max_backoff() -> None:
    policy = RetryPolicy(initial_backoff=1.0, factor=10.0, max_backoff=30.0, jitter=0.0)
    assert compute_backoff(policy, 3, seed="s") == 30.0
    assert compute_backoff(policy, 100, seed="s") == 30.0


def test_huge_attempt_numbers_do_not_overflow() -> None:
    policy = RetryPolicy(initial_backoff=1.0, factor=10.0, max_backoff=5.0, jitter=0.5)
    assert 0 <= compute_backoff(policy, 10_000, seed="s") <= 5.0


def test_zero_initial_backoff_means_retry_at_once() -> None:
    policy = RetryPolicy(initial_backoff=0.0, factor=10.0, jitter=0.5)
    assert compute_backoff(policy, 10_000, seed="s") == 0.0


def test_same_seed_same_delay_other_seeds_spread() -> None:
    policy = RetryPolicy(initial_backoff=10.0, factor=1.0, max_backoff=60.0, jitter=0.5)
    assert compute_backoff(policy, 2, seed="run:a:2") == compute_backoff(policy, 2, seed="run:a:2")
    delays = {compute_backoff(policy, 2, seed=f"run-{i}:a:2") for i in range(50)}
    assert len(delays) > 40
    assert min(delays) < 8.0 and max(delays) > 12.0


def test_attempt_must_be_positive() -> None:
    with pytest.raises(ValueError, match="attempt must be 1 or more"):
        compute_backoff(RetryPolicy(), 0, seed="s")


@given(
    initial=st.floats(0, 100),
    factor=st.floats(1, 10),
    cap=st.floats(0, 1000),
    jitter=st.floats(0, 1),
    attempt=st.integers(1, 200),
    seed=st.text(max_size=20),
)
def test_delay_stays_within_jitter_of_the_capped_exponential(
    initial: float, factor: float, cap: float, jitter: float, attempt: int, seed: str
) -> None:
    policy = RetryPolicy(initial_backoff=initial, factor=factor, max_backoff=cap, jitter=jitter)
    delay = compute_backoff(policy, attempt, seed=seed)
    base = min(cap, initial * factor ** min(attempt - 1, 1000)) if initial else 0.0
    assert 0.0 <= delay <= cap
    assert base * (1 - jitter) - 1e-9 <= delay <= base * (1 + jitter) + 1e-9
