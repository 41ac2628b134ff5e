"""Pydantic's validation errors, rewritten as Problems a pipeline author can act on.

A raw pydantic dump names internal types and links; a Problem names the field
as written in the file (``steps[0] (load).retry.factor``) and says what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from podium.pipelines._errors import Problem
from podium.pipelines._model import (
    NAME_PATTERN,
    Compensation,
    CronTrigger,
    EventTrigger,
    ParamSpec,
    Pipeline,
    RateLimit,
    RetryPolicy,
    Step,
)
from podium.pipelines._params import describe_value

# Which model a field path (its string parts, params' names as "*") lands in.
_MODELS: dict[tuple[str, ...], type[BaseModel]] = {
    (): Pipeline,
    ("steps",): Step,
    ("rate_limit",): RateLimit,
    ("steps", "retry"): RetryPolicy,
    ("steps", "compensation"): Compensation,
    ("params", "*"): ParamSpec,
    ("triggers", "event"): EventTrigger,
    ("triggers", "cron"): CronTrigger,
}
_NAME_RULE = "lower case letters, digits, '_' or '-', starting with a letter, at most 63 characters"


def problems_from(exc: ValidationError, raw: Any) -> list[Problem]:
    """One Problem per pydantic error, located in ``raw`` (the parsed YAML)."""
    return [
        Problem(location(error["loc"], raw), _message(error))
        for error in exc.errors()
        if not _redundant(error)
    ]


def _redundant(error: Mapping[str, Any]) -> bool:
    """``too_short`` after items failed: the items' own errors say what is wrong."""
    if error["type"] != "too_short":
        return False
    given = error.get("input")
    return isinstance(given, list | tuple) and len(given) >= error["ctx"]["min_length"]


def location(loc: tuple[int | str, ...], raw: Any) -> str:
    """``steps[2] (load).after`` for pydantic's ``('steps', 2, 'after')``."""
    text, node, after_index = "", raw, False
    for key in loc:
        if after_index and _is_union_tag(node, key):
            after_index = False
            continue
        after_index = isinstance(key, int)
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            text += f"[{key}]" + _name_of(node)
        else:
            node = node.get(key) if isinstance(node, dict) else None
            text += f".{key}" if text else key
    return text


def _is_union_tag(node: Any, key: int | str) -> bool:
    """Pydantic puts a tagged union's tag (``event``) in the path right after the list
    index; it is not a key of the file, though an event trigger has an ``event`` field."""
    return isinstance(node, dict) and node.get("type") == key


def _name_of(node: Any) -> str:
    name = node.get("name") if isinstance(node, dict) else None
    return f" ({name})" if isinstance(name, str) else ""


def _message(error: Mapping[str, Any]) -> str:
    kind, given = error["type"], error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return _unknown_field(error["loc"])
    if kind == "string_pattern_mismatch" and error["ctx"]["pattern"] == NAME_PATTERN:
        return f"{given!r} is not a valid name: use {_NAME_RULE}"
    if kind == "union_tag_not_found":
        return "missing 'type': write 'type: event' or 'type: cron'"
    if kind == "too_short" and error["loc"] == ("steps",):
        return "a pipeline needs at least one step"
    message = str(error["msg"]).removeprefix("Value error, ")
    return message if kind in ("value_error", "union_tag_invalid") else _with_input(message, given)


def _with_input(message: str, given: Any) -> str:
    if isinstance(given, dict | list):
        return message
    return f"{message}, got {describe_value(given)}"


def _unknown_field(loc: tuple[int | str, ...]) -> str:
    field = str(loc[-1])
    fields = list(_fields_at(loc[:-1]))
    if not fields:
        return f"unknown field {field!r}"
    close = difflib.get_close_matches(field, fields, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown field {field!r}{hint} (fields: {', '.join(fields)})"


def _fields_at(parent: tuple[int | str, ...]) -> Iterator[str]:
    keys = [key for key in parent if isinstance(key, str)]
    if keys[:1] == ["params"] and len(keys) == 2:
        keys[1] = "*"
    model = _MODELS.get(tuple(keys))
    yield from (model.model_fields if model else ())
