"""Run params against a pipeline's declared ones: types, defaults, CLI ``k=v`` text.

JSON types, strictly: ``true`` is a boolean, never an integer; ``3.0`` is a
number, not an integer; ``3`` is both an integer and a number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from podium.pipelines._errors import ParamError
from podium.pipelines._model import ParamSpec, ParamType, Pipeline
from podium.secrets import HOW, parse_reference

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def type_matches(kind: ParamType, value: Any) -> bool:
    """Whether ``value`` is a JSON value of the declared type."""
    if isinstance(value, bool):
        return kind is ParamType.BOOLEAN
    if isinstance(value, float) and not math.isfinite(value):
        return False  # JSON has no NaN or infinity
    checks: dict[ParamType, type | tuple[type, ...]] = {
        ParamType.STRING: str,
        ParamType.INTEGER: int,
        ParamType.NUMBER: (int, float),
        ParamType.OBJECT: dict,
        ParamType.ARRAY: (list, tuple),
    }
    expected = checks.get(kind)
    return expected is not None and isinstance(value, expected)


def describe_value(value: Any) -> str:
    """``string 'abc'``, ``boolean true``...: how a value reads in an error message."""
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    names |= {dict: "object", list: "array", tuple: "array", type(None): "null"}
    text = json.dumps(value, default=str)
    short = text if len(text) <= 40 else text[:37] + "..."
    return f"{names.get(type(value), type(value).__name__)} {short}"


def resolve_params(pipeline: Pipeline, given: Mapping[str, Any]) -> dict[str, Any]:
    """The run's params: ``given`` checked against the declarations, defaults applied.

    A ``null`` counts as not given. Raises ParamError naming the first bad param.
    """
    for name in given:
        if name not in pipeline.params:
            raise ParamError(f"params.{name}", _unknown(name, pipeline.params))
    resolved: dict[str, Any] = {}
    for name, spec in pipeline.params.items():
        value = given.get(name)
        value = spec.default if value is None else value
        if value is None and spec.required:
            raise ParamError(f"params.{name}", f"required param is missing ({spec.type} value)")
        if value is not None:
            resolved[name] = _checked(name, spec, value)
    return resolved


def _checked(name: str, spec: ParamSpec, value: Any) -> Any:
    if spec.secret and parse_reference(value) is None:  # never echo what was given
        raise ParamError(f"params.{name}", f"secret param: {HOW}; the value never goes on a topic")
    if not type_matches(spec.type, value):
        raise ParamError(f"params.{name}", f"expected {spec.type}, got {describe_value(value)}")
    return value


def _unknown(name: str, declared: Mapping[str, ParamSpec]) -> str:
    known = ", ".join(declared) or "none"
    return f"unknown param {name!r} (declared: {known})"


def parse_cli_params(pipeline: Pipeline, pairs: Iterable[str]) -> dict[str, Any]:
    """Typed values from ``--param k=v`` strings, read per the declared type.

    Strings stay as written; integers, numbers and booleans (true/false, yes/no,
    on/off, 1/0) are converted; objects and arrays are JSON. Raises ParamError.
    """
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError("--param", f"expected NAME=VALUE, got {pair!r}")
        if name not in pipeline.params:
            raise ParamError(f"params.{name}", _unknown(name, pipeline.params))
        values[name] = parse_param_text(name, pipeline.params[name], text)
    return values


def parse_param_text(name: str, spec: ParamSpec, text: str) -> Any:
    """One CLI value, converted to the param's declared type."""
    try:
        value = _convert(spec.type, text)
    except ValueError:
        value = None
    if value is None or not type_matches(spec.type, value):
        raise ParamError(f"params.{name}", f"expected {spec.type}, got {text!r}")
    return value


def _convert(kind: ParamType, text: str) -> Any:
    if kind is ParamType.STRING:
        return text
    if kind is ParamType.INTEGER:
        return int(text.strip())
    if kind is ParamType.NUMBER:
        number = float(text.strip())
        return int(number) if number.is_integer() and "." not in text else number
    if kind is ParamType.BOOLEAN:
        lowered = text.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else None
    return json.loads(text)
