"""Tokens of the ``when`` language, from a hand-written scanner (never eval)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from podium.pipelines._errors import ExpressionError
from podium.settings import DEFAULT_MAX_EXPRESSION_LENGTH

MAX_CONDITION_LENGTH = DEFAULT_MAX_EXPRESSION_LENGTH
"""Longer conditions are refused by default: a ``when`` is a guard, not a program. The cap
is ``LimitsSettings.max_expression_length`` (this is its default)."""

_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")
_PUNCTUATION = "()[],."
_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "string", "name", "op", "punct" or "end"
    value: str | int | float
    column: int  # 1-based

    def is_(self, kind: str, value: object) -> bool:
        return self.kind == kind and self.value == value

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the condition"
        return f"{self.kind} {self.value!r}" if self.kind != "punct" else repr(self.value)


def tokenize(text: str, max_length: int | None = MAX_CONDITION_LENGTH) -> list[Token]:
    """All tokens of ``text``, ending with an ``end`` token; ExpressionError says where not.
    ``max_length`` None: no cap (for conditions accepted before, under other limits)."""
    if max_length is not None and len(text) > max_length:
        raise ExpressionError(
            f"condition is {len(text)} characters long; the limit is {max_length} "
            "(max_expression_length, set by PODIUM_LIMITS__MAX_EXPRESSION_LENGTH)"
        )
    tokens: list[Token] = []
    index = 0
    while (index := _skip_space(text, index)) < len(text):
        token, index = _next_token(text, index)
        tokens.append(token)
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _next_token(text: str, index: int) -> tuple[Token, int]:
    char = text[index]
    if char in "'\"":
        return _string(text, index)
    if number := _NUMBER.match(text, index):
        return _number(number.group(), index), number.end()
    if name := _IDENT.match(text, index):
        return Token("name", name.group(), index + 1), name.end()
    for op in _OPERATORS:
        if text.startswith(op, index):
            return Token("op", op, index + 1), index + len(op)
    if char in _PUNCTUATION:
        return Token("punct", char, index + 1), index + 1
    hint = " (use == to compare)" if char == "=" else ""
    raise ExpressionError(f"unexpected character {char!r}{hint}", column=index + 1)


def _number(text: str, index: int) -> Token:
    is_float = any(mark in text for mark in ".eE")
    value: int | float = float(text) if is_float else int(text)
    if isinstance(value, float) and math.isinf(value):
        raise ExpressionError(f"number {text} is too large", column=index + 1)
    return Token("number", value, index + 1)


def _string(text: str, start: int) -> tuple[Token, int]:
    quote, index, chars = text[start], start + 1, []
    while index < len(text) and text[index] != quote:
        if text[index] == "\\":
            char, index = _escape(text, index)
        else:
            char, index = text[index], index + 1
        chars.append(char)
    if index >= len(text):
        raise ExpressionError(f"string starting here has no closing {quote}", column=start + 1)
    return Token("string", "".join(chars), start + 1), index + 1


def _escape(text: str, index: int) -> tuple[str, int]:
    """The character a backslash escape at ``index`` stands for, and where the escape ends."""
    code = text[index + 1 : index + 2]
    if code in _ESCAPES:
        return _ESCAPES[code], index + 2
    digits = text[index + 2 : index + 6]
    if code == "u" and len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
        return chr(int(digits, 16)), index + 6
    raise ExpressionError(
        f"unknown escape \\{code} (known: \\' \\\" \\\\ \\n \\t \\r \\uXXXX)", column=index + 1
    )
