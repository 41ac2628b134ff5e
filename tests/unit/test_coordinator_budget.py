"""The size budget's pure checks: what fits is let through, what does not is named."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from podium.coordinator._budget import (
    OUTPUT_TOO_LARGE,
    RECORD_OVERHEAD,
    Budget,
    capped_error,
    message_size,
    output_refusal,
    oversized_message,
    too_large_failure,
)
from podium.coordinator.core._inputs import StepSucceeded
from podium.streams import Outgoing

BUDGET = Budget(message_bytes=4096, output_bytes=1024)

messages = st.builds(
    Outgoing,
    st.just("t"),
    st.binary(max_size=64),
    st.binary(max_size=6000),
    st.lists(st.tuples(st.text(max_size=20), st.binary(max_size=200)), max_size=3),
)


@given(st.lists(messages, max_size=5))
def test_a_batch_is_refused_exactly_when_one_message_is_over_the_budget(
    batch: list[Outgoing],
) -> None:
    why = oversized_message(batch, BUDGET)
    too_large = [m for m in batch if message_size(m) > BUDGET.message_bytes]
    assert (why is None) == (not too_large)
    if why is not None:
        assert f"{message_size(too_large[0])} bytes" in why
        assert "PODIUM_LIMITS__MAX_MESSAGE_BYTES" in why


@given(messages)
def test_a_message_counts_at_least_its_parts_and_the_record_overhead(message: Outgoing) -> None:
    parts = len(message.key or b"") + len(message.value or b"")
    assert message_size(message) >= parts + RECORD_OVERHEAD


@given(st.integers(0, 5000))
def test_an_output_is_refused_exactly_when_over_the_limit_and_says_what_to_do(size: int) -> None:
    event = StepSucceeded("r", "s", 1, None)
    why = output_refusal(event, size, BUDGET)
    assert (why is None) == (size <= BUDGET.output_bytes)
    if why is not None:
        failure = too_large_failure(event, why)
        assert failure.error_type == OUTPUT_TOO_LARGE and not failure.retryable
        assert f"{size} bytes" in failure.error_message
        assert "return a reference" in failure.error_message


@given(st.text(max_size=5000), st.integers(40, 3000))
def test_a_capped_error_fits_its_limit_and_keeps_its_start(message: str, limit: int) -> None:
    capped = capped_error(message, limit)
    assert len(capped) <= limit
    if len(message) <= limit:
        assert capped == message
    else:
        assert "more characters]" in capped
        kept = capped[: capped.index("...")]
        assert message.startswith(kept)
