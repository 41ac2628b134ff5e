"""Podium's error tree.

One root, so callers can catch everything Podium raises, and retry behaviour
carried as data (``retryable``) instead of lists of types::

    PodiumError
     +-- ConfigError            bad settings or input files (CLI: exit 2)
     +-- BrokerError            the local broker cannot be fetched, started or reached
     |    +-- MissingToolError  java or mvn is not installed
     +-- TopicSpecError         a topics/*.yaml file is invalid (names file and field)
     +-- CodecError             see podium.codec: a message cannot be decoded or encoded
"""

from __future__ import annotations


class PodiumError(Exception):
    """Root of every error Podium raises on purpose."""

    retryable: bool = False

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class ConfigError(PodiumError):
    """Settings or an input file are wrong; the message says which and how to fix it."""


class BrokerError(PodiumError):
    """The local broker could not be fetched, started, stopped or reached."""


class MissingToolError(BrokerError):
    """A program Podium needs (java, mvn) is not on PATH."""


class TopicSpecError(ConfigError):
    """A topic spec file is invalid: the message names the file and the field."""
