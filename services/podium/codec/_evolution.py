"""Evolution checks over a registry: each schema against its kept history, and doc lint.

Pure functions over :class:`SchemaRegistry`; ``podium schemas check`` prints them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podium.codec._compat import Incompatibility, check_compatibility
from podium.codec._registry import SchemaEntry, SchemaRegistry


@dataclass(frozen=True)
class HistoryCheck:
    """A current schema against one kept older version, both ways."""

    current: SchemaEntry
    old: SchemaEntry
    backward: tuple[Incompatibility, ...]
    """Problems of the current reader reading data of the old writer."""
    forward: tuple[Incompatibility, ...]
    """Problems of the old reader reading data of the current writer."""

    @property
    def ok(self) -> bool:
        return not self.backward and not self.forward


def check_history(registry: SchemaRegistry) -> list[HistoryCheck]:
    """Every kept history version checked against the current schema of its name."""
    return [_check(registry.current(old.name), old) for old in registry if not old.is_current]


def _check(current: SchemaEntry, old: SchemaEntry) -> HistoryCheck:
    return HistoryCheck(
        current=current,
        old=old,
        backward=tuple(check_compatibility(current.parsed, old.parsed)),
        forward=tuple(check_compatibility(old.parsed, current.parsed)),
    )


def undocumented(registry: SchemaRegistry) -> list[str]:
    """``file: Type.field`` for every named type or field written without a ``doc``."""
    return [f"{entry.path}: {where}" for entry in registry for where in _missing(entry.source)]


def _missing(schema: Any) -> Iterator[str]:
    if isinstance(schema, list):
        for branch in schema:
            yield from _missing(branch)
    elif isinstance(schema, dict):
        yield from _missing_in_type(schema)


def _missing_in_type(schema: dict[str, Any]) -> Iterator[str]:
    if "name" in schema and not schema.get("doc"):
        yield f"{schema['name']} (the type itself)"
    for field in schema.get("fields", []):
        if not field.get("doc"):
            yield f"{schema['name']}.{field['name']}"
        yield from _missing(field["type"])
    for key in ("items", "values"):
        yield from _missing(schema.get(key))
