"""The schema registry: every ``.avsc`` parsed once at start, indexed by name and fingerprint.

Layout of a schema directory::

    schemas/<Name>.avsc                   current version, one named type per file
    schemas/history/<Name>.<label>.avsc   older versions kept for decoding and checks

Files may refer to named types of other files by full name; the registry parses
them in dependency order (retrying those with unknown names until no progress),
then stores for each schema its standalone parsed form, Parsing Canonical Form
and fingerprint. Nothing is parsed again per message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import UnknownType

from podium.codec._errors import SchemaLoadError
from podium.codec._framing import fingerprint_bytes
from podium.codec._standalone import NAMED, canonical_form, standalone

CURRENT = "current"


def default_schema_dir() -> Path:
    """Podium's ``schemas/``: the installed package's copy, or the checkout's."""
    from podium._bundle import bundled

    return bundled("schemas")


@dataclass(frozen=True)
class SchemaEntry:
    """One version of one schema, parsed and fingerprinted."""

    name: str
    """Full name, e.g. ``podium.v1.StepCompleted``."""
    version: str
    """``"current"`` or the history label (``"v1"`` for ``history/StepCompleted.v1.avsc``)."""
    path: Path
    source: Any = field(repr=False)
    """The file's JSON as written (with docs), for linting."""
    parsed: Any = field(repr=False)
    """fastavro's parsed standalone schema: what encoders and decoders use."""
    canonical_form: str = field(repr=False)
    fingerprint: bytes = b""
    """CRC-64-AVRO fingerprint, 8 bytes in wire (little-endian) order."""

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def fingerprint_hex(self) -> str:
        """The fingerprint as hex in wire order, as it appears in bytes 2..10 of a message."""
        return self.fingerprint.hex()

    @property
    def is_current(self) -> bool:
        return self.version == CURRENT


class SchemaRegistry:
    """Current and history schemas of one directory, looked up by name or fingerprint."""

    def __init__(self, directory: Path, entries: Iterable[SchemaEntry]) -> None:
        self.directory = directory
        self._entries = tuple(entries)
        self._current = {e.name: e for e in self._entries if e.is_current}
        self._short = {e.short_name: e for e in self._current.values()}
        self._by_fingerprint = {e.fingerprint: e for e in self._entries}

    @classmethod
    def load(cls, path: Path | str | None = None) -> SchemaRegistry:
        """Parse every schema under ``path`` (default: the repository's ``schemas/``)."""
        directory = Path(path) if path is not None else default_schema_dir()
        if not directory.is_dir():
            raise SchemaLoadError(f"schema directory {directory} does not exist")
        sources = {p: _read_json(p) for p in sorted(directory.glob("*.avsc"))}
        named, parsed = _parse_in_order(sources)
        entries = [_entry(p, CURRENT, sources[p], parsed[p], named) for p in sources]
        entries += list(_history_entries(directory / "history", named))
        return cls(directory, entries)

    def current(self, name: str) -> SchemaEntry:
        """The current schema by full name (``podium.v1.StepCompleted``) or short name."""
        entry = self._current.get(name) or self._short.get(name)
        if entry is None:
            raise KeyError(f"no schema named {name!r} in {self.directory}")
        return entry

    def by_fingerprint(self, fingerprint: bytes) -> SchemaEntry | None:
        """The schema version (current or history) whose fingerprint this is, if any."""
        return self._by_fingerprint.get(fingerprint)

    def history(self, name: str) -> list[SchemaEntry]:
        """Kept older versions of a schema, by file name order."""
        full = self.current(name).name
        return [e for e in self._entries if e.name == full and not e.is_current]

    def current_entries(self) -> list[SchemaEntry]:
        return sorted(self._current.values(), key=lambda e: e.name)

    def __iter__(self) -> Iterator[SchemaEntry]:
        return iter(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._current or name in self._short


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"{path}: cannot read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise SchemaLoadError(
            f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc


def _parse_in_order(sources: Mapping[Path, Any]) -> tuple[dict[str, Any], dict[Path, Any]]:
    """Parse files whose named types are all known, repeatedly, until all are parsed."""
    named: dict[str, Any] = {}
    owners: dict[str, Path] = {}
    parsed: dict[Path, Any] = {}
    pending = dict(sources)
    while pending:
        progress = {p: _try_parse(p, src, named) for p, src in pending.items()}
        done = {p: result for p, result in progress.items() if not isinstance(result, str)}
        if not done:
            raise SchemaLoadError(_unresolved_message(progress))
        for path, (schema, names) in done.items():
            _claim_names(path, names, owners)
            named.update(names)
            parsed[path] = schema
            del pending[path]
    return named, parsed


def _try_parse(path: Path, source: Any, named: Mapping[str, Any]) -> Any:
    """``(parsed, named types it defines)``, or the unknown name as a string to retry later."""
    scratch = dict(named)
    try:
        schema = parse_schema(source, scratch)
    except UnknownType as exc:
        return str(exc.name)
    except Exception as exc:
        raise SchemaLoadError(f"{path}: invalid Avro schema: {exc}") from exc
    _check_file_name(path, schema)
    return schema, {k: v for k, v in scratch.items() if named.get(k) is not v}


def _claim_names(path: Path, names: Iterable[str], owners: dict[str, Path]) -> None:
    """A named type is defined by exactly one current file."""
    for name in names:
        if name in owners:
            raise SchemaLoadError(f"{path}: defines {name}, already defined in {owners[name]}")
        owners[name] = path


def _unresolved_message(progress: Mapping[Path, Any]) -> str:
    lines = [f"{path}: unknown type name {name!r}" for path, name in progress.items()]
    hint = "define it in its own .avsc file in the same directory, or fix the spelling"
    return "; ".join(lines) + f" ({hint})"


def _check_file_name(path: Path, schema: Any) -> None:
    """One named type per file, and the file is named after it: StepCompleted.avsc."""
    if not isinstance(schema, dict) or schema.get("type") not in NAMED:
        raise SchemaLoadError(f"{path}: the top level must be a record, enum or fixed type")
    short = schema["name"].rsplit(".", 1)[-1]
    if path.name.split(".", 1)[0] != short:
        raise SchemaLoadError(
            f"{path}: defines {schema['name']}; name the file {short}.avsc "
            "(or history/<Name>.<label>.avsc)"
        )


def _entry(
    path: Path, version: str, source: Any, parsed: Any, named: Mapping[str, Any]
) -> SchemaEntry:
    whole = standalone(parsed, {**named, **parsed.get("__named_schemas", {})})
    form = canonical_form(whole)
    return SchemaEntry(
        name=parsed["name"],
        version=version,
        path=path,
        source=source,
        parsed=parse_schema(whole, {}),
        canonical_form=form,
        fingerprint=fingerprint_bytes(form),
    )


def _history_entries(directory: Path, named: Mapping[str, Any]) -> Iterator[SchemaEntry]:
    """Older versions: parsed against the current named types, their own names win."""
    for path in sorted(directory.glob("*.avsc")) if directory.is_dir() else []:
        source = _read_json(path)
        result = _try_parse(path, source, named)
        if isinstance(result, str):
            raise SchemaLoadError(f"{path}: unknown type name {result!r}")
        schema, _ = result
        if schema["name"] not in named:
            raise SchemaLoadError(
                f"{path}: keeps a version of {schema['name']}, which has no current schema file"
            )
        label = path.name.removesuffix(".avsc").split(".", 1)[-1]
        yield _entry(path, label if label != path.stem else "history", source, schema, named)
