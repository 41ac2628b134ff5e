"""What a handler knows about the request it serves: :class:`StepContext`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from podium._json_limits import JsonLimitError, read_json
from podium.events import StepRequested
from podium.headers import trace_context
from podium.service._envelope import split_input

Beat = Callable[[Any, int | None], Awaitable[None]]
"""Sends a heartbeat: (progress, extend_ms)."""

_log = logging.getLogger("podium.service.step")


class StepLogger(logging.LoggerAdapter[logging.Logger]):
    """Puts ``run_id``, ``step`` and ``attempt`` on every record (as attributes), so a
    log line of a handler can always be traced back to its run."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs


async def _no_heartbeat(progress: Any, extend_ms: int | None) -> None:
    """Heartbeats outside a running service (tests, scripts) go nowhere."""


@dataclass(frozen=True)
class StepContext:
    """The request around a handler's input; ``heartbeat()`` keeps a long step alive.

    ``upstream`` maps each dependency to its output; for a compensation,
    ``compensate`` is true, ``compensates`` names the step being undone and
    ``compensated_output`` / ``compensated_input`` are what it returned / was given.
    """

    run_id: str
    step: str
    attempt: int
    deadline: datetime
    params: Mapping[str, Any]
    pipeline: str
    pipeline_version: str
    trace: Mapping[str, str]
    logger: StepLogger
    compensate: bool = False
    compensates: str | None = None
    compensated_output: Any = None
    compensated_input: Any = None
    upstream: Mapping[str, Any] = field(default_factory=dict)
    _beat: Beat = field(default=_no_heartbeat, repr=False)

    async def heartbeat(
        self, progress: Any = None, *, extend: timedelta | float | None = None
    ) -> None:
        """Tell the coordinator this attempt is alive; ``extend`` asks for that much more
        time from now (seconds or a timedelta) before the next heartbeat is due."""
        seconds = extend.total_seconds() if isinstance(extend, timedelta) else extend
        await self._beat(progress, None if seconds is None else max(1, round(seconds * 1000)))

    def remaining(self, now: datetime | None = None) -> timedelta:
        """Time left before the deadline (negative once it passed)."""
        return self.deadline - (now or datetime.now(UTC))

    @classmethod
    def from_request(
        cls,
        request: StepRequested,
        headers: Sequence[tuple[str, bytes]] = (),
        *,
        heartbeat: Beat | None = None,
        logger: logging.Logger | None = None,
    ) -> tuple[StepContext, Any]:
        """The context for ``request`` and the handler's (unwrapped) input."""
        unwrapped = split_input(_json(request.input_json), request.step)
        base = {"run_id": request.run_id, "step": request.step, "attempt": request.attempt}
        context = cls(
            run_id=request.run_id,
            step=request.step,
            attempt=request.attempt,
            deadline=request.deadline,
            params=_params(request.params_json),
            pipeline=request.pipeline,
            pipeline_version=request.pipeline_version,
            trace=trace_context(headers),
            logger=StepLogger(logger or _log, base),
            compensate=request.compensate or unwrapped.compensates is not None,
            compensates=unwrapped.compensates,
            compensated_output=unwrapped.compensated_output,
            compensated_input=unwrapped.compensated_input,
            upstream=unwrapped.upstream,
            _beat=heartbeat or _no_heartbeat,
        )
        return context, unwrapped.input


def _json(text: str) -> Any:
    """Request JSON; the coordinator always writes valid JSON, but a foreign producer
    might not, and a handler should then see the text rather than crash the service.
    JSON past the bounds (too deep, a 10,000-digit integer) is no text a handler can use:
    JsonLimitError, which makes the request poison (see ``_execute``)."""
    try:
        return read_json(text)
    except JsonLimitError:
        raise
    except ValueError:
        return text


def _params(text: str) -> dict[str, Any]:
    value = _json(text)
    return value if isinstance(value, dict) else {}
