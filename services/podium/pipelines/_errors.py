"""Errors and problem reports for pipeline definitions.

Validation collects every problem instead of stopping at the first, so a user
fixes a file in one pass::

    ConfigError
     +-- PipelineValidationError   one or more Problems (file, location, message)
     +-- ExpressionError           a ``when`` condition does not parse (has a column)
     +-- ParamError                run params do not fit the declared ones (has .field)
     +-- LimitError                input over a configured limit (.field, .limit, .size)
    MissingValueError              a condition reads what the run does not have (a run's
                                   error, not the definition's: the step fails)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from podium.errors import ConfigError, PodiumError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition, e.g. ``steps[2] (load).after: unknown step 'x'``."""

    location: str
    message: str
    file: str | None = None

    def in_file(self, file: str) -> Problem:
        return replace(self, file=file)

    def __str__(self) -> str:
        parts = [part for part in (self.file, self.location) if part]
        return ": ".join([*parts, self.message])


class PipelineValidationError(ConfigError):
    """A definition is invalid; ``problems`` lists everything found, not just the first."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        lines = [f"{head} in pipeline definitions:", *(f"  {p}" for p in self.problems)]
        super().__init__("\n".join(lines))


class ExpressionError(ConfigError):
    """A ``when`` condition is invalid; ``column`` (1-based) says where."""

    def __init__(self, reason: str, *, column: int | None = None) -> None:
        self.reason = reason
        self.column = column
        where = f"at column {column}: " if column is not None else ""
        super().__init__(f"{where}{reason}")


class ParamError(ConfigError):
    """Run params are wrong; ``field`` names the param, e.g. ``params.threshold``."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class LimitError(ConfigError):
    """Input is over a configured limit (``PODIUM_LIMITS__*``).

    ``field`` names what is too large (``params``, ``body``, ``steps``), ``limit`` the setting
    (``max_params_bytes``); ``reason`` and ``detail`` are what a dead letter records.
    """

    reason = "validation"

    def __init__(self, field: str, limit: str, size: int, maximum: int, unit: str) -> None:
        self.field = field
        self.limit = limit
        self.size = size
        self.maximum = maximum
        self.detail = limit.replace("_", "-")
        env = f"PODIUM_LIMITS__{limit.upper()}"
        self.explanation = f"{size} {unit}; the limit is {maximum} ({limit}, set by {env})"
        super().__init__(f"{field}: {self.explanation}")


class MissingValueError(PodiumError):
    """A ``when`` condition reads a field, index or step result the run does not have;
    ``reference`` is the condition's text for it (``steps.load.output.rows``)."""

    def __init__(self, reference: str, reason: str) -> None:
        self.reference = reference
        self.reason = reason
        super().__init__(
            f"{reference} is missing: {reason} "
            f"(write default({reference}, VALUE) for a value to use when it is)"
        )
