"""Percentiles and medians of the benchmark: nearest rank, always an observed value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from podium_bench import median, percentile, summarize

samples = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=300)


def test_percentiles_of_one_to_a_hundred_are_the_ranks() -> None:
    summary = summarize(list(range(100, 0, -1)))
    assert summary.as_dict() == {"p50": 50, "p95": 95, "p99": 99, "max": 100}
    assert summary.count == 100


@given(samples)
def test_percentiles_are_observed_and_ordered(values: list[int]) -> None:
    summary = summarize(values)
    assert {summary.p50, summary.p95, summary.p99, summary.max} <= set(values)
    assert min(values) <= summary.p50 <= summary.p95 <= summary.p99 <= summary.max == max(values)


@given(samples, st.floats(min_value=0.1, max_value=100))
def test_at_least_p_percent_are_at_or_below_the_percentile(values: list[int], p: float) -> None:
    ordered = sorted(values)
    cut = percentile(ordered, p)
    assert sum(v <= cut for v in values) >= p / 100 * len(values)


def test_no_samples_is_an_error_not_a_zero() -> None:
    with pytest.raises(ValueError, match="no samples"):
        summarize([])
    with pytest.raises(ValueError, match="outside"):
        percentile([1.0], 0)


def test_median_of_odd_and_even_counts() -> None:
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    with pytest.raises(ValueError):
        median([])


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=50))
def test_median_splits_the_values_in_half(values: list[float]) -> None:
    middle = median(values)
    assert sum(v <= middle for v in values) >= len(values) / 2
    assert sum(v >= middle for v in values) >= len(values) / 2
