"""Where the example services read and write, shared by all four.

Every output of a run lives under ``<out>/<run_id>/`` (or is keyed by run id in
a shared file), so running a step again for the same run overwrites the same
files: that is what makes the services idempotent under at-least-once delivery.
``<out>`` is ``params["out_dir"]``, else ``$PODIUM_EXAMPLES_OUT``, else an
``out/`` folder next to the input file.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from podium.service import NonRetryableError

OUT_ENV = "PODIUM_EXAMPLES_OUT"


def input_path(params: Mapping[str, Any]) -> Path:
    """The local file named by ``params["uri"]`` (``file://`` URI or a plain path)."""
    uri = params.get("uri")
    if not isinstance(uri, str) or not uri:
        raise NonRetryableError("param 'uri' is missing: pass the CSV file as --param uri=...")
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme and len(parsed.scheme) > 1:
        raise NonRetryableError(f"uri {uri!r}: only file:// URIs and local paths are supported")
    return Path(uri)


def out_dir(params: Mapping[str, Any]) -> Path:
    """The folder all runs write to (see the module docstring)."""
    configured = params.get("out_dir") or os.environ.get(OUT_ENV)
    return Path(configured) if configured else input_path(params).parent / "out"


def run_dir(params: Mapping[str, Any], run_id: str) -> Path:
    """This run's own folder; created on demand."""
    folder = out_dir(params) / run_id
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows of a CSV file; a missing file fails for good (retry cannot help)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            return list(reader.fieldnames or []), list(reader)
    except FileNotFoundError as exc:
        message = f"input file {path} does not exist"
        raise NonRetryableError(message, details={"path": str(path)}) from exc


def write_json(path: Path, value: Any) -> None:
    """Replace ``path`` atomically: a crash mid-write never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
        json.dump(value, tmp, indent=2, sort_keys=True)
    os.replace(tmp.name, path)


def number(text: str | None) -> float | None:
    """``text`` as a float, or None when it is not a finite number."""
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None
