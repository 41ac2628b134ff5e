"""Parsing ``when`` conditions: the tree, canonical text, and errors that say where."""

from __future__ import annotations

import pytest

from podium.errors import ConfigError
from podium.pipelines import ExpressionError
from podium.pipelines._expr import MAX_CONDITION_LENGTH, MAX_DEPTH, parse_condition
from podium.pipelines._expr_ast import (
    BoolOp,
    Compare,
    ListExpr,
    Literal,
    Not,
    ParamRef,
    StepOutput,
    StepStatus,
)


def test_comparison_of_a_param_and_a_literal() -> None:
    assert parse_condition("params.notify == true").root == Compare(
        "==", ParamRef("notify"), Literal(True)
    )


def test_precedence_not_over_and_over_or() -> None:
    root = parse_condition("not params.a or params.b and params.c").root
    assert root == BoolOp("or", (Not(ParamRef("a")), BoolOp("and", (ParamRef("b"), ParamRef("c")))))


def test_chains_are_flat_and_parentheses_group() -> None:
    assert parse_condition("1 and 2 and 3").root == BoolOp(
        "and", (Literal(1), Literal(2), Literal(3))
    )
    assert parse_condition("1 and (2 and 3)").root == BoolOp(
        "and", (Literal(1), BoolOp("and", (Literal(2), Literal(3))))
    )


def test_step_references_and_paths() -> None:
    root = parse_condition("steps.load.output.stats['row count'][0].in >= -1.5e3").root
    assert root == Compare(
        ">=", StepOutput("load", ("stats", "row count", 0, "in")), Literal(-1500.0)
    )
    assert parse_condition("steps.load-2.status").root == StepStatus("load-2")


def test_membership_in_lists_and_not_in() -> None:
    root = parse_condition("params.fmt not in ['csv', \"tsv\", null]").root
    assert root == Compare(
        "not in", ParamRef("fmt"), ListExpr((Literal("csv"), Literal("tsv"), Literal(None)))
    )
    assert parse_condition("'x' in []").root == Compare("in", Literal("x"), ListExpr(()))


def test_string_escapes() -> None:
    assert parse_condition(r"'it\'s \u00e9\n'").root == Literal("it's \u00e9\n")


def test_references_lists_params_and_steps() -> None:
    condition = parse_condition(
        "params.a == 1 and (steps.load.status == 'succeeded' or steps.x.output.y in params.b)"
    )
    assert condition.references() == (frozenset({"a", "b"}), frozenset({"load", "x"}))


def test_canonical_text() -> None:
    text = "not (params.a or  params.b) and steps.s.output['a b'] != 'x'"
    assert (
        str(parse_condition(text)) == 'not (params.a or params.b) and steps.s.output["a b"] != "x"'
    )


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("", 1, "the condition is empty"),
        ("params.x ==", 12, "expected a value"),
        ("params.x = 1", 10, "use == to compare"),
        ("params.x == 1 2", 15, "expected 'and', 'or' or the end"),
        ("notify == true", 1, "unknown name 'notify': write params.notify"),
        ("steps.load.result", 12, "expected 'status' or 'output'"),
        ("steps.load", 11, "'.status' or '.output'"),
        ("params.", 8, "a param name"),
        ("(params.a", 10, "expected ')'"),
        ("[1, 2", 6, "expected ',' or ']'"),
        ("'abc", 1, "no closing '"),
        (r"'a\qb'", 3, "unknown escape \\q"),
        ("1 < 2 < 3", 7, "cannot be chained"),
        ("params.a[-1]", 10, "list index"),
        ("params.a $ 1", 10, "unexpected character '$'"),
        ("1e999 > 1", 1, "too large"),
    ],
)
def test_errors_say_where_and_what_was_expected(text: str, column: int, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_condition(text)
    assert caught.value.column == column
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"at column {column}: ")
    assert isinstance(caught.value, ConfigError)


def test_length_cap() -> None:
    text = " or ".join(["true"] * 300)
    assert len(text) > MAX_CONDITION_LENGTH
    with pytest.raises(ExpressionError, match=f"the limit is {MAX_CONDITION_LENGTH}"):
        parse_condition(text)


def test_depth_cap() -> None:
    assert parse_condition("(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH).root == Literal(1)
    too_deep = "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_condition(too_deep)
    with pytest.raises(ExpressionError, match="nested"):
        parse_condition("not " * (MAX_DEPTH + 1) + "true")
