"""Schema files named by a pipeline file's triggers, read in before the model is built.

``schemas: [OrderPlaced.avsc]`` in ``pipelines/orders.yaml`` means
``pipelines/OrderPlaced.avsc``: the schema travels inside the published definition,
so the coordinator reading it needs no access to the team's files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from podium.pipelines._errors import Problem


def read_schema_files(raw: Any, folder: Path) -> list[Problem]:
    """Replace each file name under ``triggers[*].schemas`` of ``raw`` (in place) with
    the file's JSON; the problems of files that cannot be read."""
    triggers = raw.get("triggers") if isinstance(raw, dict) else None
    problems: list[Problem] = []
    for index, trigger in enumerate(triggers if isinstance(triggers, list) else []):
        schemas: Any = trigger.get("schemas") if isinstance(trigger, dict) else None
        if isinstance(schemas, str):
            schemas = trigger["schemas"] = [schemas]
        for position, item in enumerate(schemas if isinstance(schemas, list) else []):
            if isinstance(item, str):
                where = f"triggers[{index}].schemas[{position}]"
                schemas[position] = _read(folder / item, where, problems)
    return problems


def _read(path: Path, where: str, problems: list[Problem]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(Problem(where, f"cannot read schema file {path}: {exc.strerror}"))
    except ValueError as exc:
        problems.append(Problem(where, f"schema file {path} is not JSON: {exc}"))
    return {}
