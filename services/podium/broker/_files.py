"""Small file helpers for the state dir: a lock, atomic writes, the log's tail and rotation."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MAX_LOG_BYTES = 20 * 1024 * 1024  # beyond this, a start moves broker.log to broker.log.1
_TAIL_BYTES_PER_LINE = 512


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock, so two processes never fetch, start or stop at once."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Readers see the old content or the new, never half a file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    temporary.replace(path)


def read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def last_lines(text: str, lines: int) -> str:
    """The last ``lines`` lines of ``text`` (all of it when shorter; nothing for 0)."""
    if lines <= 0:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def tail_file(path: Path, lines: int) -> str:
    """The last ``lines`` lines of a file that may be large, reading only its end."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - lines * _TAIL_BYTES_PER_LINE))
            data = handle.read()
    except FileNotFoundError:
        return ""
    return last_lines(data.decode(errors="replace"), lines)


def rotate_log(path: Path, max_bytes: int = MAX_LOG_BYTES) -> None:
    """Keep the log from growing without end: past ``max_bytes`` it becomes ``<name>.1``."""
    if path.is_file() and path.stat().st_size > max_bytes:
        path.replace(path.with_name(path.name + ".1"))


def read_from(path: Path, position: int) -> tuple[str, int]:
    """What was appended to ``path`` after byte ``position``, and the new position.

    A file shorter than ``position`` was rotated or truncated: read it from the start.
    """
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(position if size >= position else 0)
            data = handle.read()
            return data.decode(errors="replace"), handle.tell()
    except FileNotFoundError:
        return "", 0
