"""Errors a step handler raises on purpose, and the SDK's own.

Retry behaviour is data (``retryable``), as everywhere in Podium::

    PodiumError
     +-- StepError              a handler's failure, retryable by default   (details)
     |    +-- NonRetryableError retrying cannot help (bad input, missing file)
     |         +-- PoisonMessage  the request itself can never be handled: kept in the DLQ
     +-- ConfigError
          +-- ServiceLoadError  `podium service MODULE:OBJECT` names nothing usable

Any other exception a handler raises is reported as a retryable StepFailed with
its type name: an unexpected error is presumed transient until a handler says
otherwise.
"""

from __future__ import annotations

from typing import Any

from podium.codec import DecodeError
from podium.errors import ConfigError, PodiumError


class StepError(PodiumError):
    """A handler's failure with optional JSON-able ``details`` and a retry hint.

    ``retry_after`` (seconds) asks the coordinator to wait that long before the next
    attempt instead of the policy's backoff (a rate limit's reset, a lock held
    elsewhere); capped at a day.
    """

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.details = details
        self.retry_after = retry_after


class NonRetryableError(StepError):
    """The step failed for good: another attempt with the same input fails the same way."""

    retryable = False

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message, details=details, retryable=False)


class PoisonMessage(NonRetryableError):
    """The request itself is unusable (not just this attempt): raise it from a handler.

    The request goes to ``<request topic>.dlq`` with reason ``handler`` (detail
    ``PoisonMessage``) and this message, where it can be inspected and replayed once
    fixed; and a non-retryable StepFailed (``error_type`` "PoisonMessage") is sent, so
    the run fails (or compensates) now instead of waiting for the step's deadline and
    retrying a request that cannot succeed. Only then is the request's offset committed.
    """

    reason = "handler"
    """Its DLQ reason (see ``podium.dlq.REASONS``)."""


class UnreadableRequest(PoisonMessage):
    """A request the service cannot even hand to its handler: larger than
    ``max_message_bytes``, or its JSON past the bounds (``podium._json_limits``). Poison,
    with reason ``validation`` and the bound's code as its detail."""

    reason = "validation"

    def __init__(self, message: str, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class RequestTooLarge(DecodeError):
    """A request record over ``max_message_bytes``: dead-lettered unread (the coordinator
    never writes one; a foreign producer did), reason ``validation``."""

    reason = "validation"
    detail = "max-message-bytes"

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"the request is {size} bytes, over the {limit}-byte limit "
            "(PODIUM_LIMITS__MAX_MESSAGE_BYTES)"
        )


class SecretUnavailable(NonRetryableError):
    """``ctx.secret(name)`` cannot be resolved here: the param holds no reference, or the
    variable or file it names is missing on this service. Another attempt on the same
    service would fail the same way; fix the service's environment and rerun."""


class ServiceLoadError(ConfigError):
    """``MODULE:OBJECT`` cannot be imported or is not a :class:`Service`."""
