"""Reading pipeline YAML files into checked Pipelines.

``check_file`` never raises for bad content: it returns the problems, so the
CLI can report every file. ``load_pipeline_file`` and ``load_pipelines`` raise
PipelineValidationError with all problems of all files at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from podium._yaml import YamlProblem, read_yaml_file
from podium.pipelines._errors import PipelineValidationError, Problem
from podium.pipelines._model import Pipeline
from podium.pipelines._pydantic import problems_from
from podium.pipelines._schema_files import read_schema_files
from podium.pipelines._validate import validate_pipeline
from podium.settings import LimitsSettings

PIPELINE_SUFFIXES = (".yaml", ".yml")

PathLike = str | Path


def parse_pipeline(
    raw: Any, limits: LimitsSettings | None = None
) -> tuple[Pipeline | None, list[Problem]]:
    """A Pipeline from parsed YAML/JSON data, or None and the problems found (``limits``:
    see ``validate_pipeline``)."""
    if not isinstance(raw, dict):
        return None, [Problem("", "expected a mapping with name, version and steps")]
    try:
        pipeline = Pipeline.model_validate(raw)
    except ValidationError as exc:
        return None, problems_from(exc, raw)
    return pipeline, validate_pipeline(pipeline, limits)


def check_file(
    path: PathLike, limits: LimitsSettings | None = None
) -> tuple[Pipeline | None, list[Problem]]:
    """The file's Pipeline (None if it cannot be built) and every problem in it."""
    label = str(path)
    try:
        raw = read_yaml_file(Path(path))
    except YamlProblem as exc:
        return None, [Problem(exc.field, exc.message, file=label)]
    unread = read_schema_files(raw, Path(path).parent)
    if unread:
        return None, [problem.in_file(label) for problem in unread]
    pipeline, problems = parse_pipeline(raw, limits)
    return pipeline, [problem.in_file(label) for problem in problems]


def load_pipeline_file(path: PathLike, limits: LimitsSettings | None = None) -> Pipeline:
    """The valid Pipeline in ``path``; PipelineValidationError lists every problem."""
    pipeline, problems = check_file(path, limits)
    if problems or pipeline is None:
        raise PipelineValidationError(problems)
    return pipeline


def load_pipelines(
    paths: Iterable[PathLike], limits: LimitsSettings | None = None
) -> list[Pipeline]:
    """Every pipeline in ``paths`` (files, or directories searched for *.yaml / *.yml)."""
    return [pipeline for _, pipeline in load_pipeline_sources(paths, limits)]


def load_pipeline_sources(
    paths: Iterable[PathLike], limits: LimitsSettings | None = None, *, require_files: bool = False
) -> list[tuple[Path, Pipeline]]:
    """Each pipeline in ``paths`` with the file it came from; every problem of every file
    in one PipelineValidationError (``require_files``: finding no file is one too)."""
    paths = list(paths)
    files, problems = pipeline_files(paths)
    if require_files and not files and not problems:
        problems = [Problem("", "no *.yaml or *.yml files found", file=", ".join(map(str, paths)))]
    found: list[tuple[Path, Pipeline]] = []
    for file in files:
        pipeline, file_problems = check_file(file, limits)
        problems.extend(file_problems)
        if pipeline is not None and not file_problems:
            found.append((file, pipeline))
    problems.extend(duplicate_keys(found))
    if problems:
        raise PipelineValidationError(problems)
    return found


def pipeline_files(paths: Iterable[PathLike]) -> tuple[list[Path], list[Problem]]:
    """Files named by ``paths`` (directories expanded, sorted) and paths that do not exist."""
    files: list[Path] = []
    problems: list[Problem] = []
    for each in map(Path, paths):
        if each.is_dir():
            found = sorted(p for p in each.rglob("*") if p.suffix in PIPELINE_SUFFIXES)
            files.extend(p for p in found if p.is_file())
        elif each.exists():
            files.append(each)
        else:
            problems.append(Problem("", "no such file or directory", file=str(each)))
    return list(dict.fromkeys(files)), problems


def duplicate_keys(found: Iterable[tuple[Path, Pipeline]]) -> list[Problem]:
    """The same ``name@version`` defined by two files: which one would win is unclear."""
    first: dict[str, Path] = {}
    problems = []
    for file, pipeline in found:
        if pipeline.key in first:
            message = f"{pipeline.key} is also defined in {first[pipeline.key]}"
            problems.append(Problem("name", message, file=str(file)))
        first.setdefault(pipeline.key, file)
    return problems
