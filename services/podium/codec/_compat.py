"""Avro schema compatibility: can data written with one schema be read with another?

A pure function over fastavro-parsed schemas, implementing the specification's
"Schema Resolution" rules:

- records match by unqualified name (or a reader alias); fields match by name,
  or by a reader field's alias; a reader field the writer lacks needs a default;
  writer fields the reader lacks are skipped;
- primitives match exactly or by promotion: int -> long -> float -> double,
  string <-> bytes (as the specification allows; bytes that are not UTF-8 still fail
  to read as a string, so data can be refused that the schemas let through);
- enums: every writer symbol must be a reader symbol, unless the reader has a default;
- fixed: same name and size; arrays and maps: items and values recursively;
- unions: each writer branch resolves to the first reader branch it matches.

Backward compatibility of a change is ``check_compatibility(new, old)`` (new
readers read old data); forward is ``check_compatibility(old, new)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

PROMOTIONS = {
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
    "string": {"bytes"},
    "bytes": {"string"},
}
NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})


@dataclass(frozen=True, slots=True)
class Incompatibility:
    """One reason data of the writer schema cannot be read with the reader schema."""

    path: str
    """Where, e.g. ``StepCompleted.output_json`` or ``RunState.steps{}.status``."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def check_compatibility(reader: Any, writer: Any) -> list[Incompatibility]:
    """Every incompatibility found reading ``writer``-encoded data with ``reader``; [] if none."""
    ctx = _Context(_named(reader), _named(writer))
    reader_t, writer_t = ctx.reader(reader), ctx.writer(writer)
    return list(_check(reader_t, writer_t, _label(reader_t), ctx))


def is_compatible(reader: Any, writer: Any) -> bool:
    return not check_compatibility(reader, writer)


@dataclass
class _Context:
    reader_names: Mapping[str, Any]
    writer_names: Mapping[str, Any]
    seen: set[tuple[str, str]] | None = None

    def reader(self, schema: Any) -> Any:
        return _resolve(schema, self.reader_names)

    def writer(self, schema: Any) -> Any:
        return _resolve(schema, self.writer_names)

    def first_visit(self, reader: Any, writer: Any) -> bool:
        """Recursive records are checked once per (reader, writer) pair."""
        self.seen = self.seen if self.seen is not None else set()
        key = (reader["name"], writer["name"])
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _named(schema: Any) -> Mapping[str, Any]:
    names = schema.get("__named_schemas", {}) if isinstance(schema, dict) else {}
    return names if isinstance(names, Mapping) else {}


def _resolve(schema: Any, names: Mapping[str, Any]) -> Any:
    """Named references become their definitions; ``{"type": "long"}`` becomes ``"long"``."""
    if isinstance(schema, str):
        return names.get(schema, schema)
    if isinstance(schema, dict) and _kind(schema) not in _COMPLEX:
        return schema["type"] if isinstance(schema["type"], str) else schema
    return schema


_COMPLEX = NAMED_KINDS | {"array", "map"}


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        return "record" if schema["type"] == "error" else str(schema["type"])
    return str(schema)


def _label(schema: Any) -> str:
    if isinstance(schema, dict) and "name" in schema:
        return _short(schema["name"])
    return _kind(schema)


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _check(reader: Any, writer: Any, path: str, ctx: _Context) -> Iterator[Incompatibility]:
    if isinstance(writer, list):
        for branch in writer:
            yield from _check(reader, ctx.writer(branch), path, ctx)
    elif isinstance(reader, list):
        yield from _check_into_union(reader, writer, path, ctx)
    elif not _matches(reader, writer):
        yield Incompatibility(
            path, f"writer type {_describe(writer)} cannot be read as {_describe(reader)}"
        )
    else:
        yield from _check_same_kind(reader, writer, path, ctx)


def _check_into_union(
    reader: list[Any], writer: Any, path: str, ctx: _Context
) -> Iterator[Incompatibility]:
    """A non-union writer value goes to the first reader branch that matches it."""
    for branch in reader:
        resolved = ctx.reader(branch)
        if _matches(resolved, writer):
            yield from _check(resolved, writer, path, ctx)
            return
    branches = ", ".join(_describe(ctx.reader(b)) for b in reader)
    yield Incompatibility(
        path, f"writer type {_describe(writer)} matches no branch of the reader union [{branches}]"
    )


def _matches(reader: Any, writer: Any) -> bool:
    """The specification's (shallow) match, as used to pick a union branch."""
    r_kind, w_kind = _kind(reader), _kind(writer)
    if r_kind in NAMED_KINDS and w_kind in NAMED_KINDS:
        return _names_match(reader, writer)
    if r_kind != w_kind:
        return r_kind in PROMOTIONS.get(w_kind, set())
    return True


def _names_match(reader: Mapping[str, Any], writer: Mapping[str, Any]) -> bool:
    aliases = set(reader.get("aliases", []))
    return _short(reader["name"]) == _short(writer["name"]) or bool(
        {writer["name"], _short(writer["name"])} & aliases
    )


def _check_same_kind(
    reader: Any, writer: Any, path: str, ctx: _Context
) -> Iterator[Incompatibility]:
    r_kind, w_kind = _kind(reader), _kind(writer)
    if r_kind != w_kind and r_kind in NAMED_KINDS:
        yield Incompatibility(
            path, f"writer {w_kind} {writer['name']} cannot be read as {r_kind} {reader['name']}"
        )
    elif r_kind == "array":
        yield from _check(
            ctx.reader(reader["items"]), ctx.writer(writer["items"]), path + "[]", ctx
        )
    elif r_kind == "map":
        yield from _check(
            ctx.reader(reader["values"]), ctx.writer(writer["values"]), path + "{}", ctx
        )
    elif r_kind == "enum":
        yield from _check_enum(reader, writer, path)
    elif r_kind == "fixed" and reader["size"] != writer["size"]:
        yield Incompatibility(
            path, f"fixed size differs: writer {writer['size']}, reader {reader['size']}"
        )
    elif r_kind == "record" and ctx.first_visit(reader, writer):
        yield from _check_record(reader, writer, path, ctx)


def _check_enum(
    reader: Mapping[str, Any], writer: Mapping[str, Any], path: str
) -> Iterator[Incompatibility]:
    missing = [s for s in writer["symbols"] if s not in reader["symbols"]]
    if missing and reader.get("default") not in reader["symbols"]:
        yield Incompatibility(
            path,
            f"writer symbols {missing} are not in reader enum "
            f"{_short(reader['name'])}, which has no default symbol",
        )


def _check_record(
    reader: Mapping[str, Any], writer: Mapping[str, Any], path: str, ctx: _Context
) -> Iterator[Incompatibility]:
    sources, ambiguous = _assign_fields(reader["fields"], writer["fields"])
    for field in reader["fields"]:
        field_path = f"{path}.{field['name']}"
        source = sources.get(field["name"])
        if field["name"] in ambiguous:
            yield Incompatibility(
                field_path, f"several writer fields map to it: {ambiguous[field['name']]}"
            )
        elif source is not None:
            yield from _check(
                ctx.reader(field["type"]), ctx.writer(source["type"]), field_path, ctx
            )
        elif "default" not in field:
            yield Incompatibility(
                field_path,
                "reader field has no default and the writer has no such field "
                '(give it a default, e.g. null in a ["null", ...] union)',
            )


def _assign_fields(
    reader_fields: list[Any], writer_fields: list[Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Which writer field feeds each reader field: by name, else by a reader alias."""
    by_name = {f["name"]: f for f in reader_fields}
    by_alias = {alias: f for f in reader_fields for alias in f.get("aliases", [])}
    sources: dict[str, Any] = {}
    feeding: dict[str, list[str]] = {}
    for field in writer_fields:
        target = by_name.get(field["name"]) or by_alias.get(field["name"])
        if target is not None:
            sources.setdefault(target["name"], field)
            feeding.setdefault(target["name"], []).append(field["name"])
    return sources, {name: names for name, names in feeding.items() if len(names) > 1}


def _describe(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict) and "name" in schema:
        return f"{schema['type']} {_short(schema['name'])}"
    return _kind(schema)
