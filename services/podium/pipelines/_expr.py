"""The ``when`` condition language: small, safe, and never ``eval``.

A step runs only if its condition holds over the run's params and the results
of steps that finished before it::

    params.notify == true and steps.load.output.rows > 0
    steps.validate.status == 'succeeded' or 'csv' in params.formats
    steps.profile.output.columns[0] not in ['id', "key"]

Text is tokenized and parsed by hand (``_expr_lex``, ``_expr_parse``) into a
tree of frozen dataclasses (``_expr_ast``) and evaluated by a pure, total
function (``_expr_eval``, whose docstring gives the rules for missing values
and mismatched types).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podium.pipelines._expr_ast import Node, references, to_text
from podium.pipelines._expr_eval import evaluate, truthy
from podium.pipelines._expr_lex import MAX_CONDITION_LENGTH
from podium.pipelines._expr_parse import MAX_DEPTH, parse

StepView = Mapping[str, Any]
"""What the evaluator reads for a finished step: ``{"status": ..., "output": {...}}``."""

__all__ = [
    "MAX_CONDITION_LENGTH",
    "MAX_DEPTH",
    "Condition",
    "StepView",
    "evaluate_condition",
    "parse_condition",
]


@dataclass(frozen=True)
class Condition:
    """A parsed ``when`` condition; ``str()`` gives canonical text that parses back to it."""

    root: Node

    def references(self) -> tuple[frozenset[str], frozenset[str]]:
        """(param names, step names) the condition reads."""
        return references(self.root)

    def evaluate(self, params: Mapping[str, Any], steps: Mapping[str, StepView]) -> bool:
        return truthy(evaluate(self.root, params, steps))

    def __str__(self) -> str:
        return to_text(self.root)


def parse_condition(text: str, *, max_length: int | None = MAX_CONDITION_LENGTH) -> Condition:
    """Parse ``text``; ExpressionError says at which column and what was expected, or that it
    is longer than ``max_length`` (``LimitsSettings.max_expression_length``; None: no cap)."""
    return Condition(parse(text, max_length))


def evaluate_condition(
    condition: Condition | str,
    params: Mapping[str, Any],
    steps: Mapping[str, StepView],
) -> bool:
    """Whether ``condition`` holds; ``steps`` maps each finished step to its view.

    Never raises for a parsed Condition (text is parsed first, which may raise
    ExpressionError). Text is parsed without a length cap: it is a condition of a published
    pipeline, checked against the limits when it was validated, and a run must not fail
    because a reader's limits differ from the publisher's.
    """
    parsed = (
        parse_condition(condition, max_length=None) if isinstance(condition, str) else condition
    )
    return parsed.evaluate(params, steps)
