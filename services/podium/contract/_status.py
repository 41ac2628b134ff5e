"""Where a run and each of its steps are: one pair of enums for the wire and the state.

The symbols are the Avro enums' (``podium.v1.RunStatus``, ``podium.v1.StepStatus``); the
coordinator's state machine, its changelog, the run events and the read model all use these
members. The machine sets a subset (a run is never ``CANCELLING``, a step never
``REQUESTED`` or ``COMPENSATING``: a compensation is a step of its own); the rest are the
wire's, read from other writers. ``UNKNOWN`` is the Avro default for a symbol added later.

The changelog stored lowercase names (and ``waiting_retry``) before the two enums were one;
``_missing_`` reads them, so a coordinator restores state written by an older one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from podium._speedups.enum_value import fast_value

_Status = TypeVar("_Status", "RunStatus", "StepStatus")

_OLD_NAMES = {"waiting_retry": "RETRY_WAIT"}
"""Changelog values of the old state enum whose name changed, besides the case."""


class RunStatus(StrEnum):
    """Where a run is (``podium.v1.RunStatus``)."""

    UNKNOWN = "UNKNOWN"
    QUEUED = "QUEUED"
    """Waiting for a slot under its pipeline's ``max_active_runs``; no step has started."""
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    """Asked to pause: no new step is requested until resumed; running attempts finish."""
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"
    COMPENSATING = "COMPENSATING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    COMPENSATED = "COMPENSATED"

    value = fast_value  # pydantic reads it per encoded status

    @property
    def is_terminal(self) -> bool:
        """A terminal run never changes status again; later events are ignored."""
        return self not in _RUN_UNFINISHED

    @classmethod
    def _missing_(cls, value: object) -> RunStatus | None:
        return _stored_member(cls, value)


class StepStatus(StrEnum):
    """Where one step of a run is (``podium.v1.StepStatus``)."""

    UNKNOWN = "UNKNOWN"
    PENDING = "PENDING"
    REQUESTED = "REQUESTED"
    RUNNING = "RUNNING"
    RETRY_WAIT = "RETRY_WAIT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELLED = "CANCELLED"
    COMPENSATING = "COMPENSATING"
    COMPENSATED = "COMPENSATED"

    value = fast_value  # pydantic reads it per encoded status

    @property
    def is_finished(self) -> bool:
        """Finished steps never change again."""
        return self in _STEP_FINISHED

    @property
    def is_active(self) -> bool:
        """Active steps have a timer: a deadline (running) or a retry time (waiting)."""
        return self in _STEP_ACTIVE

    @classmethod
    def _missing_(cls, value: object) -> StepStatus | None:
        return _stored_member(cls, value)


def _stored_member(enum: type[_Status], value: object) -> _Status | None:
    if not isinstance(value, str) or not value.islower():
        return None
    return enum.__members__.get(_OLD_NAMES.get(value, value.upper()))


# module globals, not ``StepStatus.X`` in the properties above: those are read for every step
# on every event, and a member read through the enum class costs 10x a global read.
# Finished first: a decision mostly asks about steps that succeeded.
_RUN_UNFINISHED = (
    RunStatus.QUEUED,
    RunStatus.RUNNING,
    RunStatus.PAUSED,
    RunStatus.COMPENSATING,
    RunStatus.CANCELLING,
    RunStatus.UNKNOWN,
)
_STEP_FINISHED = (
    StepStatus.SUCCEEDED,
    StepStatus.FAILED,
    StepStatus.SKIPPED,
    StepStatus.CANCELLED,
    StepStatus.COMPENSATED,
)
_STEP_ACTIVE = (StepStatus.RUNNING, StepStatus.RETRY_WAIT)
