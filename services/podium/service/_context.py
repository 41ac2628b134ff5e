"""What a handler knows about the request it serves: :class:`StepContext`."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from podium._json_limits import JsonLimitError, read_json
from podium.contract import StepRequested, split_input, trace_context
from podium.logs import trace_fields
from podium.secrets import HOW, SecretError, parse_reference, redact, resolve_here
from podium.service._errors import SecretUnavailable

Beat = Callable[[Any, int | None], Awaitable[None]]
"""Sends a heartbeat: (progress, extend_ms)."""

_log = logging.getLogger("podium.service.step")


class StepLogger(logging.LoggerAdapter[logging.Logger]):
    """Puts ``run_id``, ``step`` and ``attempt`` on every record (as attributes), so a
    log line of a handler can always be traced back to its run; and once the handler
    resolved a secret (``ctx.secret``), writes no line that holds it: the message, its
    arguments and a traceback are formatted here and redacted."""

    def __init__(self, logger: logging.Logger, extra: Mapping[str, object] | None = None) -> None:
        super().__init__(logger, extra)
        self.secrets: list[str] = []

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        kwargs["extra"] = {**(self.extra or {}), **kwargs.get("extra", {})}
        return msg, kwargs

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        if self.secrets and self.isEnabledFor(level):
            msg, args = self._redacted(msg, args, kwargs), ()
        super().log(level, msg, *args, **kwargs)

    def _redacted(self, msg: object, args: tuple[object, ...], kwargs: dict[str, Any]) -> str:
        text = str(msg) % args if args else str(msg)
        error = _error_of(kwargs.pop("exc_info", None))
        if error is not None:
            text += "\n" + "".join(traceback.format_exception(error)).rstrip("\n")
        return redact(text, self.secrets)


def _error_of(exc_info: object) -> BaseException | None:
    """The exception a logging call's ``exc_info`` names (an exception, a sys.exc_info()
    tuple, or True for the one being handled)."""
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple):
        return exc_info[1] if len(exc_info) > 1 and isinstance(exc_info[1], BaseException) else None
    return sys.exc_info()[1] if exc_info else None


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

    def secret(self, name: str) -> str:
        """The value of secret param ``name``, resolved here from the reference the run
        carries (``env:NAME``: this service's environment; ``file:/path``: a file it can
        read). From now on this attempt's log lines, failure and output never show it.
        A missing or unreadable secret fails the attempt for good (SecretUnavailable)."""
        reference = parse_reference(self.params.get(name))
        if reference is None:
            raise SecretUnavailable(f"param {name!r} holds no secret reference ({HOW})")
        try:
            value = resolve_here(reference, name)
        except SecretError as exc:
            raise SecretUnavailable(str(exc)) from None
        self.logger.secrets.append(value)
        return value

    def redact(self, text: str) -> str:
        """``text`` without the secrets this attempt resolved."""
        return redact(text, self.logger.secrets)

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
        trace = trace_context(headers)
        base = {
            "run_id": request.run_id,
            "pipeline": request.pipeline,
            "step": request.step,
            "attempt": request.attempt,
            **trace_fields(trace),
        }
        context = cls(
            run_id=request.run_id,
            step=request.step,
            attempt=request.attempt,
            deadline=request.deadline,
            params=_params(request.params_json),
            pipeline=request.pipeline,
            pipeline_version=request.pipeline_version,
            trace=trace,
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
