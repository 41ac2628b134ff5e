"""A faster Avro binary writer for records Podium's own code builds (``Codec.encode_trusted``).

fastavro's ``schemaless_writer`` walks the parsed schema generically for every record (type
lookups, logical-type lookups, a union branch chosen by validating each candidate) even for
a flat record, paid for every message the coordinator emits. Here each schema is turned once
into the source of one straight-line Python function per record type, as ``dataclasses``
does for ``__init__``: no per-field calls or dispatch are left.

Only what Podium's schemas use is covered: null, boolean, int, long, string, enum, record,
map, ``timestamp-millis`` and two-branch unions with null. Anything else raises
:class:`Unsupported`, and the codec keeps fastavro for that schema. For valid records the
output is byte-identical to fastavro's (a property test pins it for every schema in
``schemas/``). Like fastavro's writer it does not validate: the records are trusted.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping
from typing import Any

from fastavro.logical_writers import LOGICAL_WRITERS

BodyWriter = Callable[[Any], bytes]
"""A record (or any value of the schema) to its Avro binary body."""

_ONE_BYTE = [bytes([n]) for n in range(0x80)]
"""Varints below 0x80 are one byte: most lengths, small ints, enum and union indexes."""


class Unsupported(Exception):
    """The schema uses a type this writer does not cover; use fastavro for it."""


def compile_writer(parsed: Any) -> BodyWriter:
    """The body writer of a fastavro-parsed, standalone schema."""
    named = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}
    generator = _Generator(named)
    body = ["parts = []", "a = parts.append", *generator.lines(parsed, "record")]
    generator.define("write_body", ["record"], [*body, "return b''.join(parts)"])
    namespace: dict[str, Any] = dict(generator.constants)
    exec("\n".join(generator.source), namespace)
    writer: BodyWriter = namespace["write_body"]
    return writer


def long_bytes(value: int) -> bytes:
    """Avro's zig-zag varint of an int or long."""
    n = (value << 1) ^ (value >> 63)
    if n < 0x80:
        return _ONE_BYTE[n]
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_millis_bytes = functools.lru_cache(maxsize=256)(long_bytes)
"""``long_bytes`` of a timestamp, remembered: a timestamp is a 6-byte varint (a loop of six
steps), and the messages one event produces share theirs (changed_at, requested_at)."""


def _prepare_millis(value: Any) -> int:
    """A datetime (from a dumped model; our own records carry the int) as fastavro converts
    it, with fastavro's own function so the rounding is exactly theirs."""
    return LOGICAL_WRITERS["long-timestamp-millis"](value, _MILLIS_SCHEMA)  # type: ignore[no-any-return]


def _missing(record: Mapping[str, Any], required: frozenset[str]) -> ValueError:
    return ValueError(f"no value and no default for {sorted(required - record.keys())}")


_MILLIS_SCHEMA = {"type": "long", "logicalType": "timestamp-millis"}


class _Generator:
    """Source lines for one schema. Generated code appends to ``a`` (``parts.append``);
    each named record gets its own function, written once and called where referenced."""

    def __init__(self, named: Mapping[str, Any]) -> None:
        self._named = named
        self._functions: dict[str, str] = {}  # named record -> its function's name
        self._counter = itertools.count()
        self.source: list[str] = []
        self.constants: dict[str, Any] = {
            "ONE_BYTE": _ONE_BYTE,
            "long_bytes": long_bytes,
            "millis_bytes": _millis_bytes,
            "prepare_millis": _prepare_millis,
            "missing": _missing,
        }

    def define(self, name: str, arguments: list[str], body: list[str]) -> None:
        self.source.append(f"def {name}({', '.join(arguments)}):")
        self.source.extend("    " + line for line in body)

    def lines(self, schema: Any, value: str) -> list[str]:
        """Statements appending the encoding of the expression ``value`` (a plain name)."""
        if isinstance(schema, list):
            return self._union(schema, value)
        if isinstance(schema, str):
            return self._primitive(schema, value) or self._by_name(schema, value)
        return self._complex(schema, value)

    def _primitive(self, kind: str, value: str) -> list[str] | None:
        if kind == "null":
            return ["pass"]
        if kind == "boolean":
            return [f"a(b'\\x01' if {value} else b'\\x00')"]
        if kind in ("int", "long"):
            return [f"a(ONE_BYTE[{value} << 1] if 0 <= {value} < 0x40 else long_bytes({value}))"]
        if kind == "string":
            data, size = self._name("data"), self._name("size")
            return [
                f"{data} = {value}.encode()",
                f"{size} = len({data})",
                f"a(ONE_BYTE[{size} << 1] if {size} < 0x40 else long_bytes({size}))",
                f"a({data})",
            ]
        return None

    def _by_name(self, name: str, value: str) -> list[str]:
        schema = self._named.get(name)
        if schema is None:
            raise Unsupported(f"unknown type {name!r}")
        return self._complex(schema, value)

    def _complex(self, schema: Mapping[str, Any], value: str) -> list[str]:
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical is not None:
            if (kind, logical) != ("long", "timestamp-millis"):
                raise Unsupported(f"logical type {kind}-{logical}")
            millis = f"{value} if type({value}) is int else prepare_millis({value})"
            return [f"a(millis_bytes({millis}))"]
        if kind in ("record", "error"):
            return [f"{self._record_function(schema)}({value}, a)"]
        if kind == "enum":
            return [f"a({self._constant('indexes', _indexes(schema['symbols']))}[{value}])"]
        if kind == "map":
            return self._map(schema["values"], value)
        if kind in ("array", "fixed") or not isinstance(kind, str):
            raise Unsupported(f"type {kind!r}")
        return self.lines(kind, value)  # {"type": "long"}: a primitive (or a name) in a dict

    def _record_function(self, schema: Mapping[str, Any]) -> str:
        full_name: str = schema["name"]
        if full_name in self._functions:  # also ends a recursive type's recursion
            return self._functions[full_name]
        function = "write_" + full_name.replace(".", "_")
        self._functions[full_name] = function
        self.define(function, ["record", "a"], self._record_body(schema))
        return function

    def _record_body(self, schema: Mapping[str, Any]) -> list[str]:
        # a missing field takes its default, as in fastavro (which also ignores extra keys);
        # fastavro refuses a missing field without one, else a missing boolean would be False
        required = self._constant("required", frozenset(_required_fields(schema)))
        body = [
            f"if not record.keys() >= {required}:",
            f"    raise missing(record, {required})",
            "get = record.get",
        ]
        for field in schema["fields"]:
            value = self._name("value")
            default = self._constant("default", field.get("default"))
            body.append(f"{value} = get({field['name']!r}, {default})")
            body.extend(self.lines(field["type"], value))
        return body

    def _union(self, branches: list[Any], value: str) -> list[str]:
        """``["null", T]`` or ``[T, "null"]``: fastavro picks null exactly for None."""
        if len(branches) != 2 or "null" not in branches:
            raise Unsupported(f"union {branches!r}")
        null_index = branches.index("null")
        other = branches[1 - null_index]
        return [
            f"if {value} is None:",
            f"    a({long_bytes(null_index)!r})",
            "else:",
            f"    a({long_bytes(1 - null_index)!r})",
            *("    " + line for line in self.lines(other, value)),
        ]

    def _map(self, values: Any, value: str) -> list[str]:
        """One block holding every entry, then the empty block, as fastavro writes maps."""
        key, item = self._name("key"), self._name("item")
        return [
            f"if {value}:",
            f"    a(long_bytes(len({value})))",
            f"    for {key}, {item} in {value}.items():",
            *("        " + line for line in self._primitive("string", key) or []),
            *("        " + line for line in self.lines(values, item)),
            "a(b'\\x00')",
        ]

    def _name(self, prefix: str) -> str:
        return f"{prefix}_{next(self._counter)}"

    def _constant(self, prefix: str, constant: Any) -> str:
        name = self._name(prefix)
        self.constants[name] = constant
        return name


def _required_fields(schema: Mapping[str, Any]) -> list[str]:
    """fastavro's rule: a field may be missing when it has a default or null is a branch."""
    return [
        field["name"]
        for field in schema["fields"]
        if "default" not in field
        and not (isinstance(field["type"], list) and "null" in field["type"])
    ]


def _indexes(symbols: list[str]) -> dict[str, bytes]:
    return {symbol: long_bytes(index) for index, symbol in enumerate(symbols)}
