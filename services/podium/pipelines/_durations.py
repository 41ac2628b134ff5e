"""Durations as people write them in YAML: ``250ms``, ``30s``, ``5m``, ``1h``, ``1d``, seconds."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


def parse_duration(value: object) -> float:
    """Seconds for a duration string or number; ValueError says what is accepted."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '30s'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        seconds = float(match.group(1)) * _UNITS_S[match.group(2)]
    else:
        raise ValueError(
            f"bad duration {value!r}: write a number with a unit, e.g. 250ms, 30s, 5m, 1h, 1d"
        )
    if seconds < 0:
        raise ValueError(f"bad duration {value!r}: must not be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds, parsed from ``30s``-style strings."""
