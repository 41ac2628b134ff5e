"""The ``when`` language's syntax tree, and printing it back to text.

Nodes are frozen dataclasses, so two parses of the same condition compare
equal, and printing then re-parsing gives the same tree (a property test pins
this). Printing adds parentheses only where precedence needs them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Union

Scalar = Union[str, int, float, bool, None]  # noqa: UP007 (a runtime alias)
PathKey = Union[str, int]  # noqa: UP007

COMPARE_OPS = ("==", "!=", "<=", ">=", "<", ">", "in", "not in")
KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null", "default"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Literal:
    value: Scalar


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ParamRef:
    """``params.NAME`` with an optional path into the value."""

    name: str
    path: tuple[PathKey, ...] = ()


@dataclass(frozen=True)
class StepStatus:
    """``steps.STEP.status``: the finished step's status, e.g. ``'succeeded'``."""

    step: str


@dataclass(frozen=True)
class StepOutput:
    """``steps.STEP.output[.FIELD...]``: a value from a finished step's output."""

    step: str
    path: tuple[PathKey, ...] = ()


@dataclass(frozen=True)
class Default:
    """``default(REFERENCE, FALLBACK)``: the reference's value, or the fallback's when the
    reference is missing or null (a reference that is missing is otherwise an error)."""

    value: ParamRef | StepStatus | StepOutput
    fallback: Node


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over two or more operands.

    A chain ``a and b and c`` is one flat node (so long chains never make deep
    trees); parentheses that group the same operator make a nested node.
    """

    op: str
    operands: tuple[Node, ...]


Node = Union[  # noqa: UP007
    Literal, ListExpr, ParamRef, StepStatus, StepOutput, Default, Compare, Not, BoolOp
]
Reference = (ParamRef, StepStatus, StepOutput)
"""The nodes that read the run: what ``default`` may wrap."""

_PRECEDENCE = {"or": 1, "and": 2}
_NOT, _COMPARE, _ATOM = 3, 4, 5


def precedence(node: Node) -> int:
    if isinstance(node, BoolOp):
        return _PRECEDENCE[node.op]
    if isinstance(node, Not):
        return _NOT
    return _COMPARE if isinstance(node, Compare) else _ATOM


def to_text(node: Node) -> str:
    """Source text that parses back to ``node``."""
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_wrap(each, precedence(node) + 1) for each in node.operands)
    if isinstance(node, Not):
        return f"not {_wrap(node.operand, _NOT)}"
    if isinstance(node, Compare):
        return f"{_wrap(node.left, _ATOM)} {node.op} {_wrap(node.right, _ATOM)}"
    return _atom_text(node)


def _wrap(node: Node, needed: int) -> str:
    text = to_text(node)
    return f"({text})" if precedence(node) < needed else text


def _atom_text(node: Node) -> str:
    if isinstance(node, Literal):
        return literal_text(node.value)
    if isinstance(node, ListExpr):
        return "[" + ", ".join(to_text(item) for item in node.items) + "]"
    if isinstance(node, Default):
        return f"default({to_text(node.value)}, {to_text(node.fallback)})"
    if isinstance(node, ParamRef):
        return f"params.{node.name}{path_text(node.path)}"
    if isinstance(node, StepStatus):
        return f"steps.{node.step}.status"
    assert isinstance(node, StepOutput)
    return f"steps.{node.step}.output{path_text(node.path)}"


def literal_text(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def path_text(path: tuple[PathKey, ...]) -> str:
    return "".join(_segment_text(key) for key in path)


def _segment_text(key: PathKey) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    return f".{key}" if _IDENT.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"


def references(node: Node) -> tuple[frozenset[str], frozenset[str]]:
    """(param names, step names) that ``node`` reads."""
    params: set[str] = set()
    steps: set[str] = set()
    for each in walk(node):
        if isinstance(each, ParamRef):
            params.add(each.name)
        elif isinstance(each, StepStatus | StepOutput):
            steps.add(each.step)
    return frozenset(params), frozenset(steps)


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents first (iterative: depth is bounded anyway)."""
    found: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(_children(current))
    return found


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, BoolOp):
        return node.operands
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Default):
        return (node.value, node.fallback)
    return node.items if isinstance(node, ListExpr) else ()
