"""Recursive-descent parser for ``when`` conditions.

Grammar (lowest precedence first)::

    condition := or_expr END
    or_expr   := and_expr ("or" and_expr)*
    and_expr  := not_expr ("and" not_expr)*
    not_expr  := "not" not_expr | compare
    compare   := value [("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not" "in") value]
    value     := NUMBER | STRING | "true" | "false" | "null" | "(" or_expr ")"
               | "[" [or_expr ("," or_expr)*] "]"
               | reference | "default" "(" reference "," or_expr ")"
    reference := "params" "." NAME path | "steps" "." NAME "." ("status" | "output" path)
    path      := ("." NAME | "[" (STRING | INTEGER) "]")*

Nesting (parentheses, lists, ``not``) is capped at MAX_DEPTH, so the parser's
own recursion is bounded whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from podium.pipelines._errors import ExpressionError
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
    Reference,
    StepOutput,
    StepStatus,
)
from podium.pipelines._expr_lex import MAX_CONDITION_LENGTH, Token, tokenize

MAX_DEPTH = 32
"""Deepest nesting of parentheses, lists and ``not`` a condition may use."""

_CONSTANTS = {"true": True, "false": False, "null": None}
_VALUE_HINT = (
    "a value (a number, a 'string', true, false, null, params.NAME, "
    "steps.STEP.status, steps.STEP.output.FIELD, default(REFERENCE, VALUE), a [list] or '(')"
)


def parse(text: str, max_length: int | None = MAX_CONDITION_LENGTH) -> Node:
    """The syntax tree of ``text``; ExpressionError (with a column) if it is not a condition,
    or if it is longer than ``max_length`` characters (None: no cap)."""
    return _Parser(tokenize(text, max_length)).condition()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._pos = 0
        self._depth = 0

    def condition(self) -> Node:
        if self._peek().kind == "end":
            raise ExpressionError("the condition is empty", column=1)
        node = self._or()
        if (token := self._peek()).kind != "end":
            self._fail(token, "'and', 'or' or the end of the condition")
        return node

    def _peek(self, ahead: int = 0) -> Token:
        return self._tokens[min(self._pos + ahead, len(self._tokens) - 1)]

    def _advance(self) -> Token:
        token = self._peek()
        self._pos += 1
        return token

    def _at(self, kind: str, value: object) -> bool:
        return self._peek().is_(kind, value)

    def _expect(self, kind: str, value: object, what: str) -> Token:
        if not self._at(kind, value):
            self._fail(self._peek(), what)
        return self._advance()

    def _fail(self, token: Token, expected: str) -> NoReturn:
        raise ExpressionError(f"expected {expected}, found {token.describe()}", column=token.column)

    @contextmanager
    def _nested(self, token: Token) -> Iterator[None]:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", column=token.column)
        yield
        self._depth -= 1

    def _or(self) -> Node:
        operands = [self._and()]
        while self._at("name", "or"):
            self._advance()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else BoolOp("or", tuple(operands))

    def _and(self) -> Node:
        operands = [self._not()]
        while self._at("name", "and"):
            self._advance()
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else BoolOp("and", tuple(operands))

    def _not(self) -> Node:
        if not self._at("name", "not"):
            return self._compare()
        with self._nested(self._advance()):
            return Not(self._not())

    def _compare(self) -> Node:
        left = self._value()
        op = self._compare_op()
        if op is None:
            return left
        node = Compare(op, left, self._value())
        if self._compare_op_ahead():
            token = self._peek()
            raise ExpressionError(
                "comparisons cannot be chained; join them with 'and'", column=token.column
            )
        return node

    def _compare_op_ahead(self) -> bool:
        token = self._peek()
        return token.kind == "op" or token.is_("name", "in")

    def _compare_op(self) -> str | None:
        token = self._peek()
        if token.kind == "op" or token.is_("name", "in"):
            self._advance()
            return str(token.value)
        if token.is_("name", "not") and self._peek(1).is_("name", "in"):
            self._pos += 2
            return "not in"
        return None

    def _value(self) -> Node:
        token = self._peek()
        if token.kind in ("number", "string"):
            self._advance()
            return Literal(token.value)
        if token.kind == "name":
            return self._named(token)
        if token.is_("punct", "("):
            return self._parenthesized()
        if token.is_("punct", "["):
            return self._list()
        self._fail(token, _VALUE_HINT)

    def _named(self, token: Token) -> Node:
        name = str(token.value)
        if name in _CONSTANTS:
            self._advance()
            return Literal(_CONSTANTS[name])
        if name == "params":
            return self._param_ref()
        if name == "steps":
            return self._step_ref()
        if name == "default" and self._peek(1).is_("punct", "("):
            return self._default()
        raise ExpressionError(
            f"unknown name {name!r}: write params.{name} for a param, "
            f"or steps.{name}.status / steps.{name}.output.FIELD for a step",
            column=token.column,
        )

    def _parenthesized(self) -> Node:
        with self._nested(self._advance()):
            node = self._or()
            self._expect("punct", ")", "')'")
        return node

    def _list(self) -> Node:
        items: list[Node] = []
        with self._nested(self._advance()):
            if not self._at("punct", "]"):
                items.append(self._or())
                while self._at("punct", ","):
                    self._advance()
                    items.append(self._or())
            self._expect("punct", "]", "',' or ']'")
        return ListExpr(tuple(items))

    def _default(self) -> Node:
        """``default(REFERENCE, FALLBACK)``: only a reference can be missing."""
        self._advance()
        with self._nested(self._advance()):
            token = self._peek()
            value = self._value()
            if not isinstance(value, Reference):
                self._fail(
                    token,
                    "a reference (params.NAME..., steps.STEP.output...) to give a default",
                )
            self._expect("punct", ",", "',' and the value to use when it is missing")
            fallback = self._or()
            self._expect("punct", ")", "')'")
        return Default(value, fallback)

    def _param_ref(self) -> Node:
        self._advance()
        self._expect("punct", ".", "'.' after 'params' (params.NAME)")
        name = self._name("a param name after 'params.'")
        return ParamRef(name, self._path())

    def _step_ref(self) -> Node:
        self._advance()
        self._expect("punct", ".", "'.' after 'steps' (steps.STEP.status or steps.STEP.output)")
        step = self._name("a step name after 'steps.'")
        self._expect("punct", ".", f"'.status' or '.output' after 'steps.{step}'")
        token = self._peek()
        if token.is_("name", "status"):
            self._advance()
            return StepStatus(step)
        if token.is_("name", "output"):
            self._advance()
            return StepOutput(step, self._path())
        self._fail(token, f"'status' or 'output' after 'steps.{step}.'")

    def _name(self, what: str) -> str:
        token = self._peek()
        if token.kind != "name":
            self._fail(token, what)
        self._advance()
        return str(token.value)

    def _path(self) -> tuple[PathKey, ...]:
        keys: list[PathKey] = []
        while self._at("punct", ".") or self._at("punct", "["):
            if self._advance().value == ".":
                keys.append(self._name("a field name after '.'"))
            else:
                keys.append(self._subscript())
        return tuple(keys)

    def _subscript(self) -> PathKey:
        token = self._advance()
        valid_index = isinstance(token.value, int) and token.value >= 0
        if token.kind != "string" and not (token.kind == "number" and valid_index):
            self._fail(token, "a 'field name' or a list index (0, 1, ...) inside [ ]")
        self._expect("punct", "]", "']'")
        assert isinstance(token.value, str | int)
        return token.value
