"""The demo's child processes: start them, notice one dying, stop them all.

Children run in their own process group, so a Ctrl-C reaches only the demo,
which then stops them in order (SIGTERM, a grace period, SIGKILL). On Linux
each child also gets SIGTERM should the demo itself die (``PR_SET_PDEATHSIG``),
so a killed demo leaves nothing running behind it.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from podium.demo._plan import ChildSpec

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc_name = ctypes.util.find_library("c")
    if sys.platform.startswith("linux") and libc_name:
        ctypes.CDLL(libc_name, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a log file ('' when there is none)."""
    if not path.is_file():
        return ""
    text = path.read_text(errors="replace").rstrip("\n")
    return "\n".join(text.splitlines()[-lines:])


class Children:
    """The processes the demo started, by name."""

    def __init__(self, python: str, env: Mapping[str, str], cwd: Path) -> None:
        self.python = python
        self.env = dict(env)
        self.cwd = cwd
        self.specs: dict[str, ChildSpec] = {}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, spec: ChildSpec) -> int:
        """Start ``spec`` with its output appended to its log; returns the pid."""
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        with spec.log.open("ab") as log:  # the child keeps its own copy of the descriptor
            log.write(f"---- {time.strftime('%Y-%m-%d %H:%M:%S')} podium demo ----\n".encode())
            log.flush()
            process = subprocess.Popen(
                spec.command(self.python),
                env=self.env,
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=_die_with_parent,
            )
        self.specs[spec.name] = spec
        self.processes[spec.name] = process
        return process.pid

    def exited(self) -> dict[str, int]:
        """The children that have stopped, with their exit status."""
        codes = {name: process.poll() for name, process in self.processes.items()}
        return {name: code for name, code in codes.items() if code is not None}

    def log_tail(self, name: str, lines: int = 30) -> str:
        spec = self.specs.get(name)
        return tail(spec.log, lines) if spec else ""

    def stop_all(self, grace: float = 20.0) -> dict[str, int]:
        """SIGTERM every child, wait up to ``grace`` s, SIGKILL the rest; exit codes by name."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and not all(
            p.poll() is not None for p in self.processes.values()
        ):
            time.sleep(_POLL_S)
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
        return {name: process.wait() for name, process in self.processes.items()}
