"""Self-contained forms of schemas whose named types live in other files.

fastavro parses ``StepFailed.avsc`` that says ``"type": "podium.v1.StepError"``
into a schema that keeps the bare name. Fingerprints, other Avro libraries
and schema resolution all need the *standalone* schema: each named type
defined in full where it first appears (depth first, as the Parsing
Canonical Form is written) and referred to by name after that.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastavro.schema import to_parsing_canonical_form

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})


def standalone(schema: Any, named: Mapping[str, Any]) -> Any:
    """``schema`` with every referenced named type inlined once, from ``named``."""
    return _inline(schema, named, set())


def canonical_form(schema: Any) -> str:
    """The Parsing Canonical Form of a standalone schema (the fingerprint's input)."""
    return to_parsing_canonical_form(schema)


def _inline(schema: Any, named: Mapping[str, Any], seen: set[str]) -> Any:
    if isinstance(schema, list):
        return [_inline(branch, named, seen) for branch in schema]
    if isinstance(schema, str):
        if schema in PRIMITIVES or schema in seen or schema not in named:
            return schema
        return _inline(named[schema], named, seen)
    return _inline_dict(schema, named, seen)


def _inline_dict(schema: dict[str, Any], named: Mapping[str, Any], seen: set[str]) -> Any:
    out = {key: value for key, value in schema.items() if not key.startswith("__")}
    kind = schema.get("type")
    if kind in NAMED:
        seen.add(schema["name"])
    if kind in ("record", "error"):
        out["fields"] = [
            {**field, "type": _inline(field["type"], named, seen)} for field in schema["fields"]
        ]
    elif kind == "array":
        out["items"] = _inline(schema["items"], named, seen)
    elif kind == "map":
        out["values"] = _inline(schema["values"], named, seen)
    return out
