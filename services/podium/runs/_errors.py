"""Errors of the run client and read model::

ConfigError
 +-- RunNotFoundError        no run with that id is known (HTTP 404)
 +-- RunEventsTopicMissingError  the run events topic does not exist yet
 +-- NotWaitingStepError     the step does not wait for that (approval, signal) (HTTP 409)
PodiumError
 +-- RunFinishedError        the run already ended, so it cannot be cancelled (HTTP 409)
 +-- RunStateError           the run's status does not allow it: retry a running run, resume
                             one not paused (HTTP 409)
BrokerError
 +-- ReadModelUnavailableError   the run events could not be read to their end in time
"""

from __future__ import annotations

from podium.errors import BrokerError, ConfigError, PodiumError


class RunNotFoundError(ConfigError):
    """No run with this id is known to the read model."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        super().__init__(f"unknown run {run_id!r}: list runs with `podium runs list`")


class RunFinishedError(PodiumError):
    """The run has already ended; cancelling it would change nothing."""

    def __init__(self, run_id: str, status: str) -> None:
        self.run_id = run_id
        self.status = status
        super().__init__(f"run {run_id} already finished ({status}): nothing to change")


class RunStateError(PodiumError):
    """A re-run, pause or resume the run's status does not allow; the message says why and
    what to do instead."""

    def __init__(self, run_id: str, status: str, problem: str) -> None:
        self.run_id = run_id
        self.status = status
        super().__init__(f"run {run_id} is {status}: {problem}")


class NotWaitingStepError(ConfigError):
    """A decision or signal names a step of the run that does not wait for one."""

    def __init__(self, run_id: str, step: str, problem: str) -> None:
        self.run_id = run_id
        self.step = step
        super().__init__(f"run {run_id}: step {step!r} {problem}")


class RunEventsTopicMissingError(ConfigError):
    """The run events topic does not exist: Podium's topics were not created yet."""

    def __init__(self, topic: str, address: object) -> None:
        self.topic = topic
        super().__init__(
            f"the run events topic {topic!r} does not exist on Kafka at {address}: "
            "run `podium topics apply` first"
        )


class ReadModelUnavailableError(BrokerError):
    """The run events could not be read to their end before the deadline."""

    retryable = True
