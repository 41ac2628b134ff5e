"""One idempotency key, one set of params (pure).

A run requested with an idempotency key gets the run id derived from (pipeline, key), so
asking again returns the same run, as payment APIs do. Asking again with other params is
a mistake the caller must hear about (a retry that changed its payload, or a key reused
for another request): it is a conflict, not the old run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podium.runs._view import RunView


@dataclass(frozen=True, slots=True)
class IdempotencyConflict:
    run_id: str
    key: str
    stored: dict[str, Any]
    """The params the run was requested with."""
    given: dict[str, Any]

    def message(self) -> str:
        return (
            f"idempotency key {self.key!r} was used for run {self.run_id} with other "
            "params: use a new key for a new run, or the same params to get that run"
        )


def same_params(stored: Mapping[str, Any], given: Mapping[str, Any]) -> bool:
    """Whether two resolved params are the same JSON (key order aside; ``1`` and ``1.0``
    differ, as they do on the wire)."""
    return _canonical(stored) == _canonical(given)


def idempotency_conflict(
    existing: RunView | None, key: str | None, given: Mapping[str, Any]
) -> IdempotencyConflict | None:
    """The conflict when a run already exists under ``key`` with other params."""
    if key is None or existing is None or same_params(existing.params, given):
        return None
    return IdempotencyConflict(existing.run_id, key, dict(existing.params), dict(given))


def _canonical(params: Mapping[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)
