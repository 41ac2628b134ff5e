"""The size budget of what the coordinator writes (pure).

Every message the coordinator produces must be one the broker takes: a produce the
broker refuses (``MessageSizeTooLargeError``) can only stop the coordinator, and it would
refuse again after every restart. The data that grows a message comes from outside:
step outputs (kept in the run's state, carried on the step's run event and in the
requests of the steps after it) and error messages. So before a decision is applied, its
messages and the run's new state are measured against ``max_message_bytes``; when one
does not fit, the step result that made it grow is answered as a non-retryable failure
of that step (``OutputTooLarge``, saying the size, the limit and what to do), and the
run goes on (or fails) as with any failed step. Anything else that would not fit is
refused (a dead letter), leaving the run's state as it was.

Measuring a message is a ``len`` per part. Measuring the state means encoding it, so that
is done only when the event brought more than ``SMALL_BYTES`` of data: the state must
then fit with room for a small output from every step still to finish, so a later small
result never needs measuring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from podium.coordinator.core._inputs import Event, StepFailedEvent, StepSucceeded
from podium.coordinator.core._state import RunState

if TYPE_CHECKING:  # _translate caps error messages with this module's capped_error
    from podium.streams import Outgoing

RECORD_OVERHEAD = 512
"""Bytes a record costs beyond its key, value and headers (batch and record headers,
varints), rounded up generously."""
SMALL_BYTES = 1024
"""An event bringing at most this much data is not measured against the state budget."""
MAX_ERROR_CHARS = 2000
"""Longest error message kept of a step failure (as the step SDK caps its own)."""
OUTPUT_TOO_LARGE = "OutputTooLarge"
WHAT_TO_DO = "store the data elsewhere (object storage, a table) and return a reference to it"


@dataclass(frozen=True, slots=True)
class Budget:
    message_bytes: int
    """Largest message written, everything included (``max_message_bytes``)."""
    output_bytes: int
    """Largest step output accepted (``max_output_bytes``)."""


def message_size(message: Outgoing) -> int:
    """What ``message`` takes of a produce request, rounded up."""
    size = len(message.key or b"") + len(message.value or b"") + RECORD_OVERHEAD
    return size + sum(len(name) + len(value) for name, value in message.headers)


def oversized_message(messages: Iterable[Outgoing], budget: Budget) -> str | None:
    """Why one of ``messages`` cannot be written, or None when all fit."""
    for message in messages:
        size = message_size(message)
        if size > budget.message_bytes:
            return (
                f"a message to {message.topic} would be {size} bytes, over the "
                f"{budget.message_bytes}-byte limit (PODIUM_LIMITS__MAX_MESSAGE_BYTES)"
            )
    return None


def brought_bytes(event: Event, output_bytes: int) -> int:
    """How much data ``event`` adds to a run (``output_bytes``: a success's output JSON)."""
    if isinstance(event, StepSucceeded):
        return output_bytes
    if isinstance(event, StepFailedEvent):
        return len(event.error_message)
    return 0  # a start's params are capped by max_params_bytes, its steps by max_steps


def oversized_state(
    state: RunState | None, steps: int, budget: Budget, encoded_size: Callable[[RunState], int]
) -> str | None:
    """Why ``state`` cannot be stored (it must fit with room for a small result from each
    of ``steps`` and each step still unfinished), or None."""
    if state is None:
        return None
    unfinished = sum(1 for step in state.steps.values() if not step.status.is_finished)
    room = budget.message_bytes - SMALL_BYTES * (steps + unfinished)
    size = encoded_size(state) + RECORD_OVERHEAD
    if size <= room:
        return None
    return (
        f"the run's state would be {size} bytes, over the {room} bytes it may take "
        f"(PODIUM_LIMITS__MAX_MESSAGE_BYTES, {budget.message_bytes}, less room for the "
        "results still to come)"
    )


def output_refusal(event: StepSucceeded, output_bytes: int, budget: Budget) -> str | None:
    """Why a success's output is refused before anything is decided, or None."""
    if output_bytes <= budget.output_bytes:
        return None
    return (
        f"step {event.step!r} returned {output_bytes} bytes of output, over the "
        f"{budget.output_bytes}-byte limit (PODIUM_LIMITS__MAX_OUTPUT_BYTES): {WHAT_TO_DO}"
    )


def too_large_failure(event: StepSucceeded | StepFailedEvent, why: str) -> StepFailedEvent:
    """The step result that did not fit, answered as its step's non-retryable failure."""
    message = why if why.endswith(WHAT_TO_DO) else f"{why}: {WHAT_TO_DO}"
    return StepFailedEvent(
        event.run_id, event.step, event.attempt, OUTPUT_TOO_LARGE, message, retryable=False
    )


def capped_error(message: str, limit: int = MAX_ERROR_CHARS) -> str:
    """An error message cut to ``limit`` characters, saying that it was cut."""
    if len(message) <= limit:
        return message
    marker = f"... [{len(message) - limit} more characters]"
    return message[: max(0, limit - len(marker))] + marker
