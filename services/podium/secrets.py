"""Secret params: a run carries a reference, the step's service resolves it (pure, plus
the one function that reads the environment or a file).

A pipeline declares ``params: {db_password: {type: string, secret: true}}``. A run's value
for it is never the secret itself but where to find it, ``env:NAME`` (an environment
variable of the step's service) or ``file:/path`` (a mounted secret file, as Kubernetes
and Docker provide them). So no topic, run event, API answer, CLI output, trace or dead
letter ever holds the value: Podium moves only the reference, and the coordinator could
not read the value if it tried. The step's handler calls ``ctx.secret("db_password")``;
from then on the service redacts that value from the attempt's log lines, its failure
message and details, and its output (``***``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from podium.errors import PodiumError

REFERENCE = re.compile(r"^(env):([A-Za-z_][A-Za-z0-9_]*)$|^(file):(/.+)$")
REDACTED = "***"
HOW = "give a reference, env:NAME or file:/path, that the step's service resolves"


class SecretError(PodiumError):
    """A secret cannot be resolved; the message names the param and the reference (never
    a value)."""


@dataclass(frozen=True, slots=True)
class Reference:
    kind: str
    """``env`` or ``file``."""
    where: str
    """The variable's name or the file's path."""


def parse_reference(value: object) -> Reference | None:
    """The reference ``value`` is, or None when it is not one."""
    if not isinstance(value, str):
        return None
    match = REFERENCE.match(value)
    if match is None:
        return None
    kind, where = (match[1], match[2]) if match[1] else (match[3], match[4])
    return Reference(kind, where)


def resolve(
    reference: Reference,
    param: str,
    environ: Mapping[str, str],
    read_file: Callable[[Path], str],
) -> str:
    """The secret ``reference`` points at; a trailing newline of a file is dropped."""
    if reference.kind == "env":
        value = environ.get(reference.where)
        if value is None:
            raise SecretError(
                f"secret {param}: environment variable {reference.where} is not set "
                "for this service (set it in the service's environment)"
            )
        return value
    try:
        return read_file(Path(reference.where)).removesuffix("\n")
    except OSError as exc:
        raise SecretError(
            f"secret {param}: cannot read {reference.where}: {exc.strerror or exc}"
        ) from None


def resolve_here(reference: Reference, param: str) -> str:
    """:func:`resolve` against this process's environment and files."""
    return resolve(reference, param, os.environ, lambda path: path.read_text(encoding="utf-8"))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every secret replaced by ``***``, longest first
    (so a secret containing another is replaced whole)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text
