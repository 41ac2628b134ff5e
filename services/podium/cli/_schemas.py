"""`podium schemas`: check the Avro contract's evolution and list fingerprints.

Thin shell over :mod:`podium.codec`: the checks are pure functions there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from podium.codec import (
    HistoryCheck,
    SchemaLoadError,
    SchemaRegistry,
    check_history,
    default_schema_dir,
    undocumented,
)

_DIR_OPTION = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Schema directory (default: the repository's schemas/).",
)


@click.group(name="schemas")
def group() -> None:
    """Podium's Avro schemas (namespace podium.v1): check evolution, list fingerprints."""


@group.command(name="check")
@_DIR_OPTION
def check(directory: Path | None) -> None:
    """Parse every schema and check it against its kept history versions.

    Each schemas/history/<Name>.<label>.avsc is checked both ways against
    schemas/<Name>.avsc: backward (the current reader reads old data) and
    forward (old readers read current data). Every field must have a doc.
    Prints one line per check; exits 1 if any check fails.
    """
    root = directory or default_schema_dir()
    try:
        registry = SchemaRegistry.load(root)
    except SchemaLoadError as exc:
        click.echo(f"FAIL  {exc}", err=True)
        sys.exit(1)
    click.echo(f"OK    parsed {len(list(registry))} schema files from {root}")
    failed = [_report(result, root) for result in check_history(registry)]
    failed.append(_report_docs(registry))
    if any(failed):
        sys.exit(1)


_ROLES = {
    "backward": "current reader, old writer",
    "forward": "old reader, current writer",
}


def _report(result: HistoryCheck, root: Path) -> bool:
    """Print one check; True when it failed."""
    old = _relative(result.old.path, root)
    if result.ok:
        click.echo(f"OK    {result.current.name} <-> {old}: backward and forward compatible")
        return False
    for direction, problems in (("backward", result.backward), ("forward", result.forward)):
        for problem in problems:
            roles = _ROLES[direction]
            click.echo(f"FAIL  {result.current.name} <-> {old} {direction} ({roles}): {problem}")
    return True


def _report_docs(registry: SchemaRegistry) -> bool:
    missing = undocumented(registry)
    for where in missing:
        click.echo(f"FAIL  no doc: {where}")
    if not missing:
        click.echo("OK    every type and field has a doc")
    return bool(missing)


@group.command(name="list")
@_DIR_OPTION
def list_schemas(directory: Path | None) -> None:
    """Print each schema's full name, version and CRC-64-AVRO fingerprint.

    The fingerprint is hex in wire order: the 8 bytes that follow C3 01 in a
    single-object encoded message, so foreign services can route by it.
    """
    root = directory or default_schema_dir()
    registry = SchemaRegistry.load(root)
    for entry in sorted(registry, key=lambda e: (e.name, not e.is_current, e.version)):
        location = _relative(entry.path, root)
        click.echo(f"{entry.fingerprint_hex}  {entry.name}  {entry.version}  {location}")


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
