"""Reading YAML written by anyone: safe tags only, and bounded in every direction.

``yaml.safe_load`` runs no code, but it trusts the shape of what it reads: a key written
twice keeps its last value without a word, a few aliases can expand to billions of values
(the "billion laughs"), nesting deeper than Python's stack ends in ``RecursionError``, and
a 10,000-digit integer raises ``ValueError`` out of ``int()``. :func:`load_yaml` refuses
each of these with a :class:`YamlProblem` that names the field and the line, so a CLI can
print ``file: field: message`` and exit 1 instead of a traceback (see docs/limits.md).

The checks run on the composed node graph, before any Python value is built: an alias
is counted with everything under it (memoised per node, so counting costs one pass over
the text's nodes, however far the aliases would expand).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_YAML_BYTES = 1024 * 1024
"""Largest file read: a pipeline or topic file of a thousand steps is well under 1 MiB."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists (a pipeline file needs about six)."""
MAX_VALUES = 100_000
"""Values in the document with every alias expanded: anchors for shared retry policies
fit many times over; an alias bomb does not."""
MAX_INT_DIGITS = 100
"""Longest integer literal: 64-bit numbers have 20 digits; Python refuses 4,300."""

_INT_TAG = "tag:yaml.org,2002:int"
_MERGE_TAG = "tag:yaml.org,2002:merge"

Field = tuple[str | int, ...]


class YamlProblem(Exception):
    """The text is not YAML Podium reads; ``field`` is where (``steps[2].params``), or ""."""

    def __init__(self, field: Field | str, message: str) -> None:
        self.field = field if isinstance(field, str) else field_text(field)
        self.message = message
        super().__init__(f"{self.field}: {message}" if self.field else message)


def read_yaml_file(path: Path) -> Any:
    """The YAML document in ``path``; YamlProblem for an unreadable, oversized or hostile file."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise YamlProblem("", f"the file has {size} bytes; at most {MAX_YAML_BYTES} are read")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlProblem("", f"cannot read: {exc}") from exc
    return load_yaml(text)


def load_yaml(text: str) -> Any:
    """The one YAML document in ``text`` as plain data (as ``yaml.safe_load`` reads it),
    or YamlProblem: syntax, unknown tags, duplicate keys, and the bounds above."""
    if len(text) > MAX_YAML_BYTES:
        raise YamlProblem("", f"the text has {len(text)} characters; at most {MAX_YAML_BYTES}")
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _Census(loader).count(node, ())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc) from exc
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise YamlProblem("", f"invalid YAML: {exc}") from exc
    finally:
        loader.dispose()


def field_text(field: Field) -> str:
    """``("steps", 2, "params")`` -> ``steps[2].params``."""
    text = ""
    for part in field:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader whose composer stops at MAX_DEPTH (it recurses once per level)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.field: list[str | int] = []
        self.depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.depth >= MAX_DEPTH:
            line = _line(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            raise YamlProblem(tuple(self.field), f"nested deeper than {MAX_DEPTH} levels{line}")
        named = parent is not None and index is not None
        self.depth += 1
        if named:
            self.field.append(_segment(index))
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if named:
                self.field.pop()


def _segment(index: Any) -> str | int:
    if isinstance(index, ScalarNode):
        return str(index.value)
    return index if isinstance(index, int) else "?"


class _Census:
    """One pass over a composed graph: every value counted as its aliases expand it."""

    def __init__(self, loader: _BoundedLoader) -> None:
        self.loader = loader
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()

    def count(self, node: Node, field: Field) -> int:
        if id(node) in self.sizes:
            return self.sizes[id(node)]
        if id(node) in self.open:
            raise YamlProblem(field, f"an alias refers to a value that holds it{_line(node)}")
        self.open.add(id(node))
        size = 1 + sum(self.count(child, where) for child, where in self._children(node, field))
        self.open.discard(id(node))
        if size > MAX_VALUES:
            message = f"aliases expand this to more than {MAX_VALUES} values{_line(node)}"
            raise YamlProblem(field, message)
        self.sizes[id(node)] = size
        return size

    def _children(self, node: Node, field: Field) -> list[tuple[Node, Field]]:
        if isinstance(node, SequenceNode):
            return [(child, (*field, i)) for i, child in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self._check_keys(node, field)
            pairs = [(key, (*field, _segment(key))) for key, _ in node.value]
            return pairs + [(value, (*field, _segment(key))) for key, value in node.value]
        _check_scalar(node, field)
        return []

    def _check_keys(self, node: MappingNode, field: Field) -> None:
        first_line: dict[Any, int] = {}
        for key, _ in node.value:
            if not isinstance(key, ScalarNode) or key.tag == _MERGE_TAG:
                continue
            _check_scalar(key, (*field, "?"))
            name = self.loader.construct_object(key)
            line = key.start_mark.line + 1
            if name in first_line:
                where = f"lines {first_line[name]} and {line}"
                raise YamlProblem(field, f"key {name!r} is written twice ({where})")
            first_line[name] = line


def _check_scalar(node: Node, field: Field) -> None:
    digits = len(str(node.value).lstrip("+-"))
    if node.tag == _INT_TAG and digits > MAX_INT_DIGITS:
        message = f"an integer of {digits} digits; at most {MAX_INT_DIGITS} are read{_line(node)}"
        raise YamlProblem(field, message)


def _line(where: Node | yaml.Mark | None) -> str:
    mark = where.start_mark if isinstance(where, Node) else where
    return f" (line {mark.line + 1})" if mark is not None else ""


def _syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    """Where the parser stopped is the best field there is for broken syntax."""
    mark = exc.problem_mark or exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    reason = "; ".join(part for part in (exc.context, exc.problem) if part)
    return YamlProblem(where, f"invalid YAML: {reason}")
