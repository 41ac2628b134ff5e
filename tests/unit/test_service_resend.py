"""When a service sends a result again: transient failures retried with capped backoff."""

from __future__ import annotations

from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    MessageSizeTooLargeError,
    NotLeaderForPartitionError,
    TopicAuthorizationFailedError,
    UnknownTopicOrPartitionError,
)
from hypothesis import given
from hypothesis import strategies as st

from podium.service._resend import RESEND_MAX_S, is_transient, resend_delay


def test_a_broker_outage_is_transient() -> None:
    for error in (
        KafkaConnectionError(),
        NotLeaderForPartitionError(),
        UnknownTopicOrPartitionError(),  # what a send reports after metadata went missing
        KafkaTimeoutError(),  # a batch that expired while the broker was away
    ):
        assert is_transient(error), error


def test_a_record_the_broker_will_never_take_is_permanent() -> None:
    assert not is_transient(MessageSizeTooLargeError())
    assert not is_transient(TopicAuthorizationFailedError())


def test_the_delay_doubles_from_half_a_second() -> None:
    assert [resend_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]


@given(st.integers(min_value=1, max_value=10_000))
def test_the_delay_never_passes_the_cap_and_never_shrinks(failures: int) -> None:
    assert 0 < resend_delay(failures) <= RESEND_MAX_S
    assert resend_delay(failures + 1) >= resend_delay(failures)
