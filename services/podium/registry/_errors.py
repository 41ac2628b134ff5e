"""Errors of the pipeline registry::

ConfigError
 +-- UnknownPipelineError      no such pipeline (or version); also a KeyError
 +-- RegistryTopicMissingError the registry topic does not exist yet
BrokerError
 +-- RegistryUnavailableError  the registry could not be read in time (retryable)
PodiumError
 +-- PipelineStateError        pause a paused pipeline, resume one not paused (HTTP 409)
"""

from __future__ import annotations

from collections.abc import Iterable

from podium.errors import BrokerError, ConfigError, PodiumError


class UnknownPipelineError(ConfigError, KeyError):
    """``registry.get`` found no such name (or version); the message lists what is known.

    A ``KeyError`` too, so code treating the registry as a mapping keeps working.
    """

    def __init__(self, name: str, version: int | None, known: Iterable[str]) -> None:
        self.name = name
        self.version = version
        self.known = tuple(known)
        what = name if version is None else f"{name}@{version}"
        listed = ", ".join(self.known) or "none: publish with `podium pipelines apply`"
        super().__init__(f"unknown pipeline {what} (known: {listed})")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class RegistryTopicMissingError(ConfigError):
    """The registry topic does not exist: Podium's topics were not created yet."""

    def __init__(self, topic: str, address: object) -> None:
        self.topic = topic
        super().__init__(
            f"the pipeline registry topic {topic!r} does not exist on Kafka at {address}: "
            "run `podium topics apply` first"
        )


class RegistryUnavailableError(BrokerError):
    """The registry could not be read to its end before the deadline."""

    retryable = True


class PipelineStateError(PodiumError):
    """A pause of a paused pipeline, or a resume of one that is not paused."""

    def __init__(self, name: str, problem: str) -> None:
        self.name = name
        super().__init__(f"pipeline {name} {problem}")
