"""Build requests (and cancel notices) for tests of handlers, shaped as the coordinator
sends them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from podium.contract import COMPENSATION_PREFIX, StepCancelRequested, StepRequested


def make_request(
    step: str,
    input: Any = None,
    *,
    params: Mapping[str, Any] | None = None,
    upstream: Mapping[str, Any] | None = None,
    compensates: str | None = None,
    output: Any = None,
    step_input: Any = None,
    run_id: str | None = None,
    attempt: int = 1,
    pipeline: str = "test",
    timeout: float = 60.0,
) -> StepRequested:
    """A StepRequested for ``step``. With ``upstream`` the input is wrapped as a pipeline
    step's; with ``compensates`` it is a ``compensate:<step>`` request (``input`` is the
    compensation's own) whose compensated step got ``step_input`` and returned ``output``."""
    now = datetime.now(UTC)
    body: Any = {} if input is None else input
    if compensates is not None:
        step = COMPENSATION_PREFIX + compensates
        body = {"compensates": compensates, "input": body, "step_input": step_input}
        body["output"] = output
    elif upstream is not None:
        body = {"input": body, "upstream": dict(upstream)}
    return StepRequested(
        run_id=run_id or f"run-{uuid.uuid4().hex[:12]}",
        step=step,
        attempt=attempt,
        pipeline=pipeline,
        pipeline_version="1",
        input_json=json.dumps(body),
        params_json=json.dumps(dict(params or {})),
        compensate=compensates is not None,
        deadline=now + timedelta(seconds=timeout),
        requested_at=now,
    )


def make_cancel(
    request: StepRequested, reason: str | None = "run cancelled"
) -> StepCancelRequested:
    """The cancel notice the coordinator sends for ``request`` (same run, step, attempt)."""
    return StepCancelRequested(
        run_id=request.run_id,
        step=request.step,
        attempt=request.attempt,
        reason=reason,
        requested_at=datetime.now(UTC),
    )
