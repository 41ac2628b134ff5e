"""When to send a step's result again after the broker did not acknowledge it (pure).

A result that was computed must be on the results topic before its request's
offset may be committed. Giving up after one transient failure (the broker
restarting, a leader moving, the client's request timeout passing) would leave
that offset unfinished for the rest of the process's life: its partition's
commit position could never pass it, so every later request there would be
redelivered and run again at the next restart or rebalance. So a transient
failure is retried with capped exponential backoff for as long as the service
runs; a stopping service cancels the wait, and the request, uncommitted, is
redelivered. A permanent failure (a record too large, no authorisation) is not
retried.
"""

from __future__ import annotations

from aiokafka.errors import KafkaError, KafkaTimeoutError

RESEND_FIRST_S = 0.5
RESEND_MAX_S = 10.0


def is_transient(error: KafkaError) -> bool:
    """Whether sending again can succeed. aiokafka marks a batch that expired in its
    accumulator (the broker unreachable for the whole request timeout) as not retriable,
    although the next attempt may well succeed: count it as transient."""
    return bool(error.retriable) or isinstance(error, KafkaTimeoutError)


def resend_delay(
    failures: int, *, first: float = RESEND_FIRST_S, cap: float = RESEND_MAX_S
) -> float:
    """Seconds to wait after the ``failures``-th failed send (1, 2, ...): doubling, capped."""
    doublings = min(max(0, failures - 1), 32)  # enough to reach any cap; no float overflow
    return float(min(cap, first * 2**doublings))
