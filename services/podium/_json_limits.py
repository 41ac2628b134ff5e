"""JSON from records anyone can write, read within bounds (pure).

``json.loads`` has two ways to fail that are not ``ValueError`` or that say nothing of the
field: nesting deeper than Python's recursion limit raises ``RecursionError`` (seen: one
deep record on the timers topic stopped the coordinator, on every restart), and an
integer of more than 4,300 digits raises a ``ValueError`` about
``sys.set_int_max_str_digits``. And a value that parses at depth 900 would fail later, in
whatever code walks it next (the state's encoder, a handler).

:func:`read_json` turns all of these into :class:`JsonLimitError`, a ``ValueError`` with
a ``detail`` code for the DLQ (``json-too-deep``, ``json-int-too-long``), so every caller
that already refuses invalid JSON refuses these the same way. Every record's JSON text
field (params, outputs, inputs, timers, admissions, registry envelopes, run events) is
read with it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

MAX_JSON_DEPTH = 128
"""Deepest nesting accepted: far beyond any real params or output, far below the
recursion limit of the code that walks a value next."""

TOO_DEEP = "json-too-deep"
INT_TOO_LONG = "json-int-too-long"


class JsonLimitError(ValueError):
    """JSON past a bound; ``detail`` names which (a DLQ detail code)."""

    def __init__(self, detail: str, message: str) -> None:
        super().__init__(message)
        self.detail = detail


def read_json(
    text: str | bytes | bytearray, *, parse_constant: Callable[[str], Any] | None = None
) -> Any:
    """``json.loads(text)``, refusing nesting over MAX_JSON_DEPTH and integers over Python's
    digit limit with JsonLimitError; any other invalid JSON raises ``json.JSONDecodeError``
    (or ``UnicodeDecodeError`` for bytes that are not UTF-8), both ValueErrors."""
    try:
        value = json.loads(text, parse_constant=parse_constant)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        if _is_digit_limit(exc):
            raise JsonLimitError(
                INT_TOO_LONG, f"an integer in the JSON has more than {_max_digits()} digits"
            ) from None
        raise
    if _openers(text) > MAX_JSON_DEPTH and depth_over(value, MAX_JSON_DEPTH):
        raise _too_deep()
    return value


def depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and dicts more than ``limit`` levels (iterative: a
    value that deep must not make this recurse either)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if not isinstance(item, dict | list):
            continue
        if level > limit:
            return True
        stack.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return False


def _openers(text: str | bytes | bytearray) -> int:
    """An upper bound of the nesting depth (brackets inside strings count too), so a text
    that cannot be too deep is not walked: two C-speed scans on the hot path."""
    if isinstance(text, str):
        return text.count("[") + text.count("{")
    return text.count(b"[") + text.count(b"{")


def _too_deep() -> JsonLimitError:
    return JsonLimitError(TOO_DEEP, f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")


def _is_digit_limit(error: ValueError) -> bool:
    return "int_max_str_digits" in str(error) or "integer string conversion" in str(error)


def _max_digits() -> int:
    return sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits
