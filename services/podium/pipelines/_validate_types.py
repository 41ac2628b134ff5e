"""Types in ``when`` conditions against the declared params (pure; returns messages).

The evaluator never raises for a comparison of mismatched types: it is false (``_expr_eval``).
So ``params.count > "10"``, with ``count`` an integer, would quietly never hold; here it is a
problem, said with what to write instead. Only what is known before a run is judged: the
declared type of ``params.NAME``, literals, lists and statuses (step outputs are unknown).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from podium.pipelines._expr_ast import (
    BoolOp,
    Compare,
    Default,
    ListExpr,
    Literal,
    Node,
    Not,
    ParamRef,
    StepStatus,
    literal_text,
    to_text,
    walk,
)
from podium.pipelines._model import ParamSpec, ParamType

_KINDS = {
    ParamType.STRING: "string",
    ParamType.INTEGER: "number",
    ParamType.NUMBER: "number",
    ParamType.BOOLEAN: "boolean",
    ParamType.OBJECT: "object",
    ParamType.ARRAY: "array",
}
_ORDERED = ("number", "string")
_CONTAINERS = ("array", "string", "object")


def type_problems(root: Node, params: Mapping[str, ParamSpec]) -> Iterator[str]:
    """Every comparison a declared param's type makes always false (or always true)."""
    for node in walk(root):
        if isinstance(node, ParamRef) and node.path and node.name in params:
            yield from _path_problem(node, params[node.name])
        elif isinstance(node, Compare) and _reads_a_param(node, params):
            yield from _compare_problems(node, params)


def _path_problem(node: ParamRef, spec: ParamSpec) -> Iterator[str]:
    if spec.type not in (ParamType.OBJECT, ParamType.ARRAY):
        yield (
            f"{to_text(node)} reads into params.{node.name}, a {spec.type} param, "
            f"which has no fields or items: write params.{node.name}"
        )


def _reads_a_param(node: Compare, params: Mapping[str, ParamSpec]) -> bool:
    return any(_declared(side, params) is not None for side in (node.left, node.right))


def _declared(node: Node, params: Mapping[str, ParamSpec]) -> ParamSpec | None:
    """The spec of a bare ``params.NAME`` (or ``default`` of one), if it is declared."""
    if isinstance(node, Default):
        node = node.value
    if isinstance(node, ParamRef) and not node.path:
        return params.get(node.name)
    return None


def kind_of(node: Node, params: Mapping[str, ParamSpec]) -> str | None:
    """The JSON kind ``node`` evaluates to, when known before a run (None: not known)."""
    if isinstance(node, Literal):
        value = node.value
        if value is None:
            return "null"
        return {bool: "boolean", str: "string"}.get(type(value), "number")
    if isinstance(node, ListExpr):
        return "array"
    if isinstance(node, Compare | Not | BoolOp):
        return "boolean"
    if isinstance(node, StepStatus):
        return "string"
    spec = _declared(node, params)
    return _KINDS[spec.type] if spec is not None else None


def _compare_problems(node: Compare, params: Mapping[str, ParamSpec]) -> Iterator[str]:
    left, right = kind_of(node.left, params), kind_of(node.right, params)
    if node.op in ("==", "!="):
        if left and right and "null" not in (left, right) and left != right:
            always = "false" if node.op == "==" else "true"
            yield _mismatch(node, params, f"is always {always}: a {left} never equals a {right}")
    elif node.op in ("in", "not in"):
        yield from _membership_problems(node, params, left, right)
    else:
        for kind in (left, right):
            if kind is not None and kind not in _ORDERED:
                yield _mismatch(
                    node,
                    params,
                    f"is always false: {node.op} orders two numbers or two strings, not a " + kind,
                )
                return
        if left and right and left != right:
            yield _mismatch(node, params, f"is always false: a {left} and a {right} do not order")


def _membership_problems(
    node: Compare, params: Mapping[str, ParamSpec], item: str | None, container: str | None
) -> Iterator[str]:
    if container is not None and container not in _CONTAINERS:
        yield _mismatch(node, params, f"is never true: a {container} contains nothing")
    elif container in ("string", "object") and item not in (None, "string"):
        yield _mismatch(node, params, f"is never true: a {container} holds only strings")
    elif container == "array" and isinstance(node.right, ListExpr) and item not in (None, "null"):
        kinds_in = {kind_of(each, params) for each in node.right.items}
        others = {kind for kind in kinds_in if kind not in (item, None, "null")}
        if others:
            kinds = ", ".join(sorted(others))
            yield _mismatch(node, params, f"has items ({kinds}) a {item} never equals")


def _mismatch(node: Compare, params: Mapping[str, ParamSpec], why: str) -> str:
    declared = [
        f"params.{ref.name} is declared {spec.type}"
        for side in (node.left, node.right)
        if (spec := _declared(side, params)) is not None
        and isinstance(ref := side.value if isinstance(side, Default) else side, ParamRef)
    ]
    hint = _hint(node, params)
    return f"{to_text(node)} {why} ({'; '.join(declared)}){hint}"


def _hint(node: Compare, params: Mapping[str, ParamSpec]) -> str:
    """What to write instead: a value of the param's type."""
    for side in (node.left, node.right):
        spec = _declared(side, params)
        if spec is not None:
            return f": compare it with {_EXAMPLES[spec.type]}, or change its type"
    return ""


_EXAMPLES = {
    ParamType.STRING: "a 'string'",
    ParamType.INTEGER: "an integer such as 10",
    ParamType.NUMBER: "a number such as 0.5",
    ParamType.BOOLEAN: f"{literal_text(True)} or {literal_text(False)}",
    ParamType.OBJECT: "an object's field (params.NAME.FIELD)",
    ParamType.ARRAY: "a [list], or use 'in'",
}
