"""The benchmark's child processes: started with their own logs, always stopped.

``Children`` is a context manager: on leaving it (normally, on an error or on
Ctrl-C) every child still running gets SIGTERM, then SIGKILL after a grace.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from podium.errors import PodiumError

STOP_GRACE_S = 15.0


class ChildExited(PodiumError):
    """A child process ended while the benchmark still needed it."""


class Children:
    """Named child processes, each logging to ``<logs>/<name>.log``."""

    def __init__(self, logs: Path, env: Mapping[str, str]) -> None:
        self.logs = logs
        self.env = dict(env)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def __enter__(self) -> Children:
        self.logs.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()

    def start(
        self, name: str, args: Sequence[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """``python -m <args>`` as a new child (this interpreter, so the same install), with
        ``env`` over the children's environment."""
        with (self.logs / f"{name}.log").open("ab") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [sys.executable, "-m", *args],
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def check_alive(self) -> None:
        """ChildExited naming the first child that is gone, with its log's path."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise ChildExited(
                    f"{name} exited with status {process.returncode}; "
                    f"see {self.logs / (name + '.log')}"
                )

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()
