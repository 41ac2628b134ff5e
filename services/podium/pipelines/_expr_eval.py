"""Evaluating ``when`` conditions: pure and total over JSON-like data.

Rules (chosen so a condition never crashes a run):

- A reference to a missing param, step, field or list index is ``null``.
- ``==`` / ``!=`` compare JSON values: different types are never equal
  (``true`` is not ``1``; ``1`` equals ``1.0``).
- ``<`` ``<=`` ``>`` ``>=`` compare two numbers or two strings; any other pair
  (null included) is false.
- ``x in y``: membership in a list, a substring of a string (x a string), or a
  key of an object (x a string); any other pair is false. ``x not in y`` is
  exactly ``not (x in y)``.
- ``and`` / ``or`` / ``not`` and the final result use truthiness: null, false,
  0, '' and empty lists or objects are false; everything else is true.
- A step's status reads in lower case (``'succeeded'``), whatever case the
  coordinator stores it in.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from podium.pipelines._expr_ast import (
    BoolOp,
    Compare,
    ListExpr,
    Literal,
    Node,
    Not,
    ParamRef,
    PathKey,
    StepOutput,
    StepStatus,
)

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def evaluate(node: Node, params: Mapping[str, Any], steps: Mapping[str, Any]) -> Any:
    """The value of ``node``; booleans for logic and comparisons."""
    if isinstance(node, BoolOp):
        return _bool_op(node, params, steps)
    if isinstance(node, Not):
        return not truthy(evaluate(node.operand, params, steps))
    if isinstance(node, Compare):
        left, right = evaluate(node.left, params, steps), evaluate(node.right, params, steps)
        return compare(node.op, left, right)
    if isinstance(node, ListExpr):
        return [evaluate(item, params, steps) for item in node.items]
    return _reference(node, params, steps)


def _bool_op(node: BoolOp, params: Mapping[str, Any], steps: Mapping[str, Any]) -> bool:
    results = (truthy(evaluate(each, params, steps)) for each in node.operands)
    return all(results) if node.op == "and" else any(results)


def _reference(node: Node, params: Mapping[str, Any], steps: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, ParamRef):
        return lookup(params, (node.name, *node.path))
    if isinstance(node, StepStatus):
        status = lookup(steps, (node.step, "status"))
        return status.lower() if isinstance(status, str) else None
    assert isinstance(node, StepOutput)
    return lookup(steps, (node.step, "output", *node.path))


def lookup(value: Any, path: Sequence[PathKey]) -> Any:
    """Follow ``path`` into JSON-like ``value``; null as soon as a step is missing."""
    for key in path:
        if isinstance(key, str) and isinstance(value, Mapping):
            value = value.get(key)
        elif isinstance(key, int) and _kind(value) == "array" and key < len(value):
            value = value[key]
        else:
            return None
    return value


def compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return json_equal(left, right)
    if op == "!=":
        return not json_equal(left, right)
    if op == "in":
        return contains(right, left)
    if op == "not in":
        return not contains(right, left)
    kinds = (_kind(left), _kind(right))
    if kinds not in (("number", "number"), ("string", "string")):
        return False
    return _ORDER[op](left, right)


def contains(container: Any, item: Any) -> bool:
    kind = _kind(container)
    if kind == "array":
        return any(json_equal(item, each) for each in container)
    if kind in ("string", "object") and isinstance(item, str):
        return item in container
    return False


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values, where types must match (bool is not a number)."""
    pending = [(left, right)]
    while pending:
        a, b = pending.pop()
        kind = _kind(a)
        if kind != _kind(b) or not _shallow_equal(kind, a, b):
            return False
        if kind == "array":
            pending.extend(zip(a, b, strict=True))
        elif kind == "object":
            pending.extend((a[key], b[key]) for key in a)
    return True


def _shallow_equal(kind: str, a: Any, b: Any) -> bool:
    """Same length and keys for containers, same value for scalars."""
    if kind == "array":
        return len(a) == len(b)
    if kind == "object":
        return set(a) == set(b)
    if kind == "other":
        return a is b
    return bool(a == b)


def truthy(value: Any) -> bool:
    kind = _kind(value)
    if kind in ("array", "object", "string"):
        return len(value) > 0
    if kind == "other":
        return True
    return bool(value)


def _kind(value: Any) -> str:
    """The JSON type of ``value`` ("other" for anything that is not JSON-like)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    return "object" if isinstance(value, Mapping) else "other"
