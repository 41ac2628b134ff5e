"""References into a run: what a waiting step's correlation and a sub-pipeline's params read.

A reference is ``run_id``, ``params.<path>``, ``input.<path>`` (the step's static input) or
``steps.<dependency>.output.<path>``; a path is a key, or a dotted path through objects and
lists (a digit indexes a list). Pure: the waiter resolves references from a step request,
the coordinator from a run's state, both through ``reference_value``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RUN_ID_REFERENCE = "run_id"
REFERENCE_ROOTS = ("params", "input", "steps")
REFERENCE_FORMS = "run_id, params.<name>, input.<path> or steps.<step>.output.<path>"


def field_value(record: Mapping[str, Any], path: str) -> Any:
    """The value at ``path`` (a key, or a dotted path through objects and lists); None
    when any part of it is missing."""
    if path in record:
        return record[path]
    value: Any = record
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def reference_problem(reference: str) -> str | None:
    """Why ``reference`` is not one (its head only: see ``dependency_problem``)."""
    head = reference.split(".", 1)[0]
    if reference == RUN_ID_REFERENCE or (head in REFERENCE_ROOTS and "." in reference):
        return None
    return f"expected {REFERENCE_FORMS}; got {reference[:60]!r}"


def dependency_problem(reference: str, after: tuple[str, ...]) -> str | None:
    """Why a ``steps.`` reference of a step with dependencies ``after`` cannot be read."""
    parts = reference.split(".")
    if parts[0] != "steps":
        return None
    if len(parts) < 4 or parts[2] != "output":
        return "write steps.<step>.output.<path>"
    if parts[1] not in after:
        return f"{parts[1]!r} is not in after: a step sees only its dependencies' outputs"
    return None


def reference_value(
    reference: str,
    *,
    run_id: str,
    params: Mapping[str, Any],
    input: Mapping[str, Any],
    upstream: Mapping[str, Any],
) -> Any:
    """The value ``reference`` names in a run (None when it names nothing there):
    ``upstream`` maps each dependency to its output."""
    if reference == RUN_ID_REFERENCE:
        return run_id
    head, _, path = reference.partition(".")
    roots: dict[str, Any] = {
        "params": params,
        "input": input,
        "steps": {name: {"output": output} for name, output in upstream.items()},
    }
    root = roots.get(head)
    return field_value(root, path) if isinstance(root, Mapping) else None
