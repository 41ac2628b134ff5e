"""Evaluating ``when`` conditions: pure, over JSON-like data.

Rules (a condition never guesses what a missing value would have been):

- ``params.NAME`` of a param the run was not given (declared, optional, no default) is
  ``null``; ``validate`` refuses names that are not declared.
- Anything else that is not there raises MissingValueError, naming it: a field or list
  index past a param or an output (``steps.load.output.rows`` of an output without
  ``rows``, or of a skipped step, whose output is null), or a step that has not finished
  (``steps.STEP.status`` or ``.output``). The coordinator fails the step for it.
- ``default(REFERENCE, FALLBACK)`` is the reference's value, or FALLBACK's when it is
  missing or null. ``and`` / ``or`` stop at the first operand that decides, so
  ``steps.x.status == 'succeeded' and steps.x.output.rows > 0`` reads ``rows`` only of
  a step that succeeded.
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

from podium.pipelines._errors import MissingValueError
from podium.pipelines._expr_ast import (
    BoolOp,
    Compare,
    Default,
    ListExpr,
    Literal,
    Node,
    Not,
    ParamRef,
    PathKey,
    StepOutput,
    StepStatus,
    path_text,
    to_text,
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
    if isinstance(node, Default):
        return _default(node, params, steps)
    if isinstance(node, ParamRef):
        return lookup(params.get(node.name), node.path, f"params.{node.name}")
    assert isinstance(node, StepStatus | StepOutput)
    view = steps.get(node.step)
    if not isinstance(view, Mapping):
        raise MissingValueError(to_text(node), f"step {node.step!r} has not finished")
    if isinstance(node, StepStatus):
        status = view.get("status")
        return status.lower() if isinstance(status, str) else None
    return lookup(view.get("output"), node.path, f"steps.{node.step}.output")


def _default(node: Default, params: Mapping[str, Any], steps: Mapping[str, Any]) -> Any:
    try:
        value = _reference(node.value, params, steps)
    except MissingValueError:
        value = None
    return evaluate(node.fallback, params, steps) if value is None else value


def lookup(value: Any, path: Sequence[PathKey], head: str) -> Any:
    """Follow ``path`` into JSON-like ``value`` (read as ``head``); MissingValueError names
    the first key or index that is not there."""
    for depth, key in enumerate(path):
        if not _has(value, key):
            at = head + path_text(tuple(path[:depth]))
            raise MissingValueError(head + path_text(tuple(path)), _absent(at, value, key))
        value = value[key]
    return value


def _has(value: Any, key: PathKey) -> bool:
    if isinstance(key, str):
        return isinstance(value, Mapping) and key in value
    return _kind(value) == "array" and key < len(value)


def _absent(at: str, value: Any, key: PathKey) -> str:
    """Why ``key`` is not in ``value`` (read as ``at``), with what is there instead."""
    kind = _kind(value)
    if kind == "object":
        fields = ", ".join(sorted(map(str, value))[:10]) or "none"
        return f"{at} has no field {key!r} (its fields: {fields})"
    if kind == "array":
        items = "1 item" if len(value) == 1 else f"{len(value)} items"
        return f"{at} has no index {key!r} (it has {items})"
    return f"{at} is {'null' if kind == 'null' else f'a {kind}'}, not an object or a list"


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
