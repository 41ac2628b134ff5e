"""Decoded Avro values as JSON-compatible ones (pure): what triggers match and map.

fastavro hands back logical types as Python objects; run params are JSON, so they
become text: timestamps and dates in ISO 8601, decimals and UUIDs as their text,
bytes and fixed as base64 (Avro's own JSON encoding would give code points that
no param type reads well).
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def json_compatible(value: Any) -> Any:
    """``value`` with every non-JSON leaf turned into text (containers rebuilt)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(key): json_compatible(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_compatible(item) for item in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return str(value)
