"""Retry delays and deadlines: exponential backoff, capped, with deterministic jitter; a
service's own ``retry_after`` and heartbeat ``extend`` (pure).

The state machine must give the same decision for the same input, so jitter comes from a
hash of a seed (the machine uses ``run_id:step:attempt``) instead of a random generator.
"""

from __future__ import annotations

import hashlib

from podium.pipelines import RetryPolicy


def compute_backoff(policy: RetryPolicy, attempt: int, *, seed: str) -> float:
    """Seconds to wait after failed ``attempt`` (1-based) before trying again.

    ``initial_backoff * factor ** (attempt - 1)``, capped at ``max_backoff``, then moved by up
    to ``± jitter`` of itself; the result never exceeds ``max_backoff`` nor goes below 0.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, got {attempt}")
    base = _exponential(policy, attempt)
    jittered = base * (1.0 + policy.jitter * _spread(seed))
    return min(max(jittered, 0.0), policy.max_backoff)


def _exponential(policy: RetryPolicy, attempt: int) -> float:
    if policy.initial_backoff == 0:
        return 0.0
    try:
        raw = policy.initial_backoff * policy.factor ** (attempt - 1)
    except OverflowError:  # a huge attempt number: the cap applies anyway
        return policy.max_backoff
    return min(raw, policy.max_backoff)


def _spread(seed: str) -> float:
    """A number in [-1, 1) fixed by ``seed``."""
    digest = hashlib.blake2b(seed.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**63 - 1.0


MAX_SERVICE_DELAY_MS = 24 * 60 * 60 * 1000
"""The longest a service may ask for, by ``retry_after`` or a heartbeat's ``extend``: a
service asks for its own needs (a rate limit's reset, a long batch), and a day is past
any real one, while a garbage value (days of milliseconds, a unit mix-up) must not park
an attempt for ever."""


def retry_delay_ms(backoff_ms: int, retry_after_ms: int | None) -> int:
    """How long a failed attempt waits before the next: the service's ``retry_after``
    when it gave one (``StepError(retry_after=...)``; overrides the policy, as the
    schema says), capped at MAX_SERVICE_DELAY_MS and never negative; else the backoff."""
    if retry_after_ms is None:
        return backoff_ms
    return min(max(retry_after_ms, 0), MAX_SERVICE_DELAY_MS)


def heartbeat_deadline_ms(now_ms: int, timeout_ms: int, extend_ms: int | None) -> int:
    """The attempt's deadline after a heartbeat at ``now_ms``: ``now + extend`` when the
    service asked for that long (``ctx.heartbeat(extend=...)``, capped at
    MAX_SERVICE_DELAY_MS), else ``now + timeout``. From the coordinator's clock, not the
    heartbeat's ``sent_at``: the service's clock may be off, and arrival is later anyway."""
    if extend_ms is None or extend_ms <= 0:
        return now_ms + timeout_ms
    return now_ms + min(extend_ms, MAX_SERVICE_DELAY_MS)
