"""The compatibility checker: Avro resolution rules, and agreement with fastavro itself."""

from __future__ import annotations

import copy
import io
import json
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from podium.codec import SchemaRegistry
from podium.codec._compat import Incompatibility, check_compatibility, is_compatible
from podium.codec.strategies import avro_values

PRIMITIVES = ["boolean", "int", "long", "float", "double", "string", "bytes"]
FIELD_NAMES = ["a", "b", "c", "d", "e"]


def rec(name: str, *fields: dict[str, Any], **extra: Any) -> Any:
    return parse_schema({"type": "record", "name": name, "fields": list(fields), **extra})


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def paths(problems: list[Incompatibility]) -> list[str]:
    return [p.path for p in problems]


# --- the rules, one by one ---------------------------------------------------------------


def test_identical_schemas_are_compatible() -> None:
    schema = rec("R", field("a", "int"), field("b", ["null", "string"], default=None))
    assert check_compatibility(schema, schema) == []


def test_a_field_added_with_a_default_is_compatible_both_ways() -> None:
    old = rec("R", field("a", "int"))
    new = rec("R", field("a", "int"), field("b", ["null", "string"], default=None))
    assert is_compatible(new, old) and is_compatible(old, new)


def test_a_field_added_without_a_default_breaks_backward_compatibility() -> None:
    old = rec("R", field("a", "int"))
    new = rec("R", field("a", "int"), field("b", "string"))
    problems = check_compatibility(new, old)
    assert paths(problems) == ["R.b"]
    assert "no default" in problems[0].message
    assert is_compatible(old, new)  # forward: old readers skip the new field


def test_a_field_removed_without_a_default_breaks_forward_compatibility() -> None:
    old = rec("R", field("a", "int"), field("b", "string"))
    new = rec("R", field("a", "int"))
    assert is_compatible(new, old)
    assert paths(check_compatibility(old, new)) == ["R.b"]


@pytest.mark.parametrize(
    ("writer", "reader"),
    [("int", "long"), ("int", "double"), ("long", "float"), ("float", "double"),
     ("string", "bytes"), ("bytes", "string")],
)  # fmt: skip
def test_promotions(writer: str, reader: str) -> None:
    assert is_compatible(rec("R", field("x", reader)), rec("R", field("x", writer)))


@pytest.mark.parametrize(
    ("writer", "reader"), [("long", "int"), ("double", "float"), ("string", "int")]
)
def test_narrowing_or_changing_a_type_is_incompatible(writer: str, reader: str) -> None:
    problems = check_compatibility(rec("R", field("x", reader)), rec("R", field("x", writer)))
    assert paths(problems) == ["R.x"]
    assert writer in problems[0].message and reader in problems[0].message


def test_fields_match_by_reader_alias() -> None:
    old = rec("R", field("old_name", "int"))
    new = rec("R", field("new_name", "int", aliases=["old_name"]))
    assert is_compatible(new, old)


def test_record_names_must_match_unless_aliased() -> None:
    writer = rec("a.Thing", field("x", "int"))
    assert is_compatible(rec("b.Thing", field("x", "int")), writer)  # unqualified names match
    assert paths(check_compatibility(rec("Other", field("x", "int")), writer)) == ["Other"]
    assert is_compatible(rec("Other", field("x", "int"), aliases=["a.Thing"]), writer)


def test_enum_symbols_missing_in_the_reader_need_a_reader_default() -> None:
    def enum(symbols: list[str], **extra: Any) -> Any:
        return rec("R", field("e", {"type": "enum", "name": "E", "symbols": symbols, **extra}))

    wide, narrow = enum(["A", "B", "C"]), enum(["A", "B"])
    assert is_compatible(wide, narrow)
    problems = check_compatibility(narrow, wide)
    assert paths(problems) == ["R.e"] and "['C']" in problems[0].message
    assert is_compatible(enum(["A", "B"], default="A"), wide)


def test_unions_resolve_branch_by_branch() -> None:
    optional = rec("R", field("x", ["null", "string"], default=None))
    plain = rec("R", field("x", "string"))
    assert is_compatible(optional, plain)  # the writer's string goes to the string branch
    problems = check_compatibility(plain, optional)  # a written null has nowhere to go
    assert paths(problems) == ["R.x"] and "null" in problems[0].message
    wider = rec("R", field("x", ["null", "string", "long"], default=None))
    assert is_compatible(wider, optional) and not is_compatible(optional, wider)


def test_arrays_maps_and_nested_records_report_the_full_path() -> None:
    def state(kind: str) -> Any:
        inner = {"type": "record", "name": "S", "fields": [field("n", kind)]}
        return rec("Run", field("steps", {"type": "map", "values": inner}),
                   field("log", {"type": "array", "items": kind}))  # fmt: skip

    problems = check_compatibility(state("int"), state("string"))
    assert paths(problems) == ["Run.steps{}.n", "Run.log[]"]


def test_fixed_sizes_must_match() -> None:
    def fixed(size: int) -> Any:
        return rec("R", field("f", {"type": "fixed", "name": "F", "size": size}))

    assert is_compatible(fixed(4), fixed(4))
    assert "size" in check_compatibility(fixed(8), fixed(4))[0].message


def test_recursive_records_terminate() -> None:
    fields = [field("next", ["null", "Node"], default=None), field("v", "int")]
    node = {"type": "record", "name": "Node", "fields": fields}
    schema = parse_schema(node)
    assert check_compatibility(schema, schema) == []


def test_the_shipped_history_is_compatible_both_ways() -> None:
    registry = SchemaRegistry.load()
    for old in (e for e in registry if not e.is_current):
        current = registry.current(old.name)
        assert check_compatibility(current.parsed, old.parsed) == []
        assert check_compatibility(old.parsed, current.parsed) == []


def test_incompatibility_prints_path_then_message() -> None:
    assert str(Incompatibility("R.x", "bad")) == "R.x: bad"


# --- property: when the checker says compatible, fastavro really reads the data -----------


_counter = st.integers(0, 10**6).map(str)


def leaf_types() -> st.SearchStrategy[Any]:
    enum = st.builds(
        lambda n, syms, dflt: {"type": "enum", "name": f"E{n}", "symbols": syms}
        | ({"default": syms[0]} if dflt else {}),
        _counter, st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4, unique=True),
        st.booleans(),
    )  # fmt: skip
    fixed = st.builds(lambda n, s: {"type": "fixed", "name": f"F{n}", "size": s},
                      _counter, st.integers(1, 3))  # fmt: skip
    return st.one_of(st.sampled_from(PRIMITIVES), enum, fixed)


def types() -> st.SearchStrategy[Any]:
    def extend(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.builds(lambda t: {"type": "array", "items": t}, inner),
            st.builds(lambda t: {"type": "map", "values": t}, inner),
            st.builds(lambda t: ["null", t], leaf_types()),
            records(inner),
        )

    return st.recursive(leaf_types(), extend, max_leaves=5)


def records(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    names = st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=4, unique=True)

    def build(n: str, fields: list[str], kinds: list[Any]) -> dict[str, Any]:
        typed = [field(f, k) for f, k in zip(fields, kinds, strict=False)]
        return {"type": "record", "name": f"R{n}", "fields": typed}

    return st.builds(build, _counter, names, st.lists(inner, min_size=4, max_size=4))


@st.composite
def mutated(draw: st.DrawFn, schema: Any) -> Any:
    """A reader schema: the writer with a few random edits, some compatible, some not."""
    out = copy.deepcopy(schema)
    for _ in range(draw(st.integers(0, 3))):
        out = draw(_mutate(out))
    return out


@st.composite
def _mutate(draw: st.DrawFn, schema: Any) -> Any:
    if isinstance(schema, list):
        return draw(
            st.sampled_from([schema[1], [*schema, "string"], ["null", draw(_mutate(schema[1]))]])
        )
    if isinstance(schema, str):
        return draw(st.sampled_from([*PRIMITIVES, ["null", schema]]))
    return draw(_mutate_complex(schema))


@st.composite
def _mutate_complex(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    kind, out = schema["type"], dict(schema)
    if kind == "record":
        return draw(_mutate_record(out))
    if kind == "enum":
        symbols = draw(st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=5, unique=True))
        return out | {
            "symbols": symbols,
            **({"default": symbols[0]} if draw(st.booleans()) else {}),
        }
    if kind == "fixed":
        return out | {"size": draw(st.integers(1, 3))}
    key = "items" if kind == "array" else "values"
    return out | {key: draw(_mutate(out[key]))}


@st.composite
def _mutate_record(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    fields = list(schema["fields"])
    edit = draw(st.sampled_from(["drop", "add", "add_default", "alias", "change", "rename_type"]))
    index = draw(st.integers(0, len(fields) - 1))
    free = [n for n in [*FIELD_NAMES, "f", "g"] if n not in {f["name"] for f in fields}]
    if edit == "drop" and len(fields) > 1:
        del fields[index]
    elif edit in ("add", "add_default"):
        extra = {"default": None} if edit == "add_default" else {}
        fields.append(field(free[0], ["null", "int"], **extra))
    elif edit == "alias":
        fields[index] = field(free[0], fields[index]["type"], aliases=[fields[index]["name"]])
    elif edit == "change":
        fields[index] = field(fields[index]["name"], draw(_mutate(fields[index]["type"])))
    elif edit == "rename_type":
        return schema | {"name": schema["name"] + "x"}
    return schema | {"fields": fields}


@st.composite
def schema_pairs(draw: st.DrawFn) -> tuple[Any, Any]:
    writer = draw(records(types()))
    reader = draw(mutated(writer))
    try:
        return parse_schema(writer), parse_schema(reader)
    except Exception:  # e.g. a named type drawn twice with the same name
        assume(False)
        raise


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_when_the_checker_says_compatible_fastavro_reads_the_data(data: st.DataObject) -> None:
    writer, reader = data.draw(schema_pairs())
    problems = check_compatibility(reader, writer)
    event("compatible" if not problems else "incompatible")
    if problems:
        return
    for value in data.draw(st.lists(avro_values(writer), min_size=1, max_size=3)):
        out = io.BytesIO()
        schemaless_writer(out, writer, value)
        out.seek(0)
        try:
            schemaless_reader(out, writer, reader)
        except UnicodeDecodeError:
            # the specification promotes bytes to string, and bytes that are not UTF-8
            # cannot be read as one: the checker's documented caveat, nothing else
            assert '"bytes"' in json.dumps(writer) and '"string"' in json.dumps(reader)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_schema_is_always_compatible_with_itself(data: st.DataObject) -> None:
    writer, _ = data.draw(schema_pairs())
    assert check_compatibility(writer, writer) == []
