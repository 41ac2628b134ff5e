"""Reading ``topics/*.yaml``: which files, their YAML, and their shape.

Every problem becomes one line that starts with the file and the field
(``topics/x.yaml: topics[2].partitions: must be >= 1 (got 0)``), so a user
can fix the file without reading a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from podium._yaml import YamlProblem, read_yaml_file
from podium.topics._spec import TopicDefaults, TopicEntry, TopicFile

SPEC_SUFFIXES = (".yaml", ".yml")


def spec_files(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The spec files named by ``paths`` (files, or folders of ``*.yaml``), and problems."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        found, problem = _files_at(path)
        files.extend(found)
        if problem:
            problems.append(problem)
    return _unique(files), problems


def _files_at(path: Path) -> tuple[list[Path], str | None]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix in SPEC_SUFFIXES and p.is_file())
        return found, None if found else f"{path}: no *.yaml topic files in this folder"
    if path.is_file():
        return [path], None
    return [], f"{path}: no such file or folder"


def _unique(files: Iterable[Path]) -> list[Path]:
    seen: set[Path] = set()
    unique = []
    for file in files:
        if file.resolve() not in seen:
            seen.add(file.resolve())
            unique.append(file)
    return unique


def read_topic_file(path: Path) -> tuple[TopicFile | None, list[str]]:
    """Parse one file into a ``TopicFile``, or return the problems that stop it."""
    try:
        data = read_yaml_file(path)
    except YamlProblem as exc:
        return None, [f"{path}: {exc}"]
    if data is None:
        return None, [f"{path}: is empty; expected a mapping with a `topics:` list"]
    try:
        return TopicFile.model_validate(data), []
    except ValidationError as exc:
        return None, [f"{path}: {_describe(error)}" for error in exc.errors()]


def field_path(loc: Sequence[int | str]) -> str:
    """``('topics', 2, 'configs', 'retention.ms')`` -> ``topics[2].configs[retention.ms]``."""
    text = ""
    for part in loc:
        if isinstance(part, int) or "." in part:
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _describe(error: ErrorDetails) -> str:
    loc = error["loc"]
    where = field_path(loc) or "(top level)"
    return f"{where}: {_message(error)}"


def _message(error: ErrorDetails) -> str:
    kind, got = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"unknown key; allowed here: {', '.join(_allowed_keys(error['loc']))}"
    if kind == "missing":
        return "is required"
    if kind == "greater_than_equal":
        return f"must be >= {error.get('ctx', {}).get('ge')} (got {got!r})"
    return f"{error['msg'].replace('Input should be', 'must be')} (got {got!r})"


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys a mapping at ``loc`` may have, to suggest when an unknown one is found."""
    model: type[TopicFile | TopicDefaults | TopicEntry] = TopicFile
    if loc[0] == "defaults":
        model = TopicDefaults
    elif loc[0] == "topics":
        model = TopicEntry
    return list(model.model_fields)
