"""Retry delays: exponential, capped, with deterministic jitter.

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
