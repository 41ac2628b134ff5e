"""Properties of the ``when`` language over generated text, trees and data."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podium.pipelines import ExpressionError
from podium.pipelines._errors import MissingValueError
from podium.pipelines._expr import MAX_DEPTH, parse_condition
from podium.pipelines._expr_ast import (
    BoolOp,
    Compare,
    Default,
    ListExpr,
    Literal,
    Node,
    Not,
    ParamRef,
    StepOutput,
    StepStatus,
    to_text,
)
from podium.pipelines._expr_eval import evaluate

NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
KEYS = st.one_of(NAMES, st.text(max_size=6), st.integers(min_value=0, max_value=5))
PATHS = st.lists(KEYS, max_size=3).map(tuple)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
REFERENCES: st.SearchStrategy[ParamRef | StepStatus | StepOutput] = st.one_of(
    st.builds(ParamRef, NAMES, PATHS),
    st.builds(StepStatus, NAMES),
    st.builds(StepOutput, NAMES, PATHS),
)
LEAVES: st.SearchStrategy[Node] = st.one_of(
    SCALARS.map(Literal),
    REFERENCES,
    st.builds(Default, REFERENCES, SCALARS.map(Literal)),
)
OPS = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    return st.one_of(
        st.builds(Compare, OPS, children, children),
        st.builds(Not, children),
        st.builds(
            BoolOp,
            st.sampled_from(["and", "or"]),
            st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        st.lists(children, max_size=3).map(lambda items: ListExpr(tuple(items))),
    )


TREES = st.recursive(LEAVES, _extend, max_leaves=12)

JSON = st.recursive(
    SCALARS | st.floats(),  # NaN and infinity too: data is not always clean
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS.map(str), inner, max_size=3),
    max_leaves=10,
)
STEP_VIEWS = st.dictionaries(
    NAMES,
    st.one_of(
        st.fixed_dictionaries(
            {"status": st.sampled_from(["succeeded", "FAILED", "skipped"]), "output": JSON}
        ),
        JSON,
    ),
    max_size=3,
)
ALPHABET = st.sampled_from(
    [
        *"()[]'\",.=!<>-_ \\ue0123456789",
        *("params", "steps", "status", "output", " and ", " or ", "not ", " in ", "true", "null"),
    ]
)


def _depth(node: Node) -> int:
    if isinstance(node, BoolOp):
        return 1 + max(map(_depth, node.operands))
    if isinstance(node, ListExpr):
        return 1 + max(map(_depth, node.items), default=0)
    if isinstance(node, Not):
        return 1 + _depth(node.operand)
    if isinstance(node, Compare):
        return 1 + max(_depth(node.left), _depth(node.right))
    return 1 if isinstance(node, Default) else 0


@given(st.text(max_size=200))
def test_parser_raises_only_expression_errors_on_any_text(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        parse_condition(text)


@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_parser_raises_only_expression_errors_on_near_miss_text(text: str) -> None:
    try:
        condition = parse_condition(text)
    except ExpressionError as exc:
        assert exc.column is None or 1 <= exc.column <= len(text) + 1
    else:
        assert parse_condition(str(condition)) == condition


@given(TREES)
def test_printing_then_parsing_gives_the_same_tree(tree: Node) -> None:
    if _depth(tree) > MAX_DEPTH // 2 or len(to_text(tree)) > 1000:
        return
    assert parse_condition(to_text(tree)).root == tree


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(TREES, st.dictionaries(NAMES, JSON, max_size=4), STEP_VIEWS)
def test_evaluation_gives_a_value_or_names_what_is_missing(
    tree: Node, params: dict[str, Any], steps: dict[str, Any]
) -> None:
    try:
        result = evaluate(tree, params, steps)
    except MissingValueError as exc:
        assert exc.reference in to_text(tree)
        return
    if isinstance(tree, Compare | Not | BoolOp):
        assert isinstance(result, bool)


@given(REFERENCES, SCALARS, st.dictionaries(NAMES, JSON, max_size=4), STEP_VIEWS)
def test_default_never_lets_its_reference_be_missing(
    reference: Node, fallback: Any, params: dict[str, Any], steps: dict[str, Any]
) -> None:
    value = evaluate(Default(reference, Literal(fallback)), params, steps)  # type: ignore[arg-type]
    assert value is not None or fallback is None


@given(TREES, st.dictionaries(NAMES, JSON, max_size=4), STEP_VIEWS)
def test_not_negates(tree: Node, params: dict[str, Any], steps: dict[str, Any]) -> None:
    from podium.pipelines._expr_eval import truthy

    try:
        value = evaluate(tree, params, steps)
    except MissingValueError:
        with contextlib.suppress(MissingValueError):
            evaluate(Not(tree), params, steps)
            raise AssertionError("not hid a missing value") from None
        return
    assert evaluate(Not(tree), params, steps) is not truthy(value)
