"""The broker's process: recognising it from a pid file, launching it detached, stopping it.

A pid file can outlive its process (a crash, a reboot) and the pid can be handed
to another program. So a pid counts as our broker only when that process is alive
and its command line is ``java ... kafka.Kafka <our server.properties>``; the
judgement itself is pure (``judge_pid``) over a command-line lookup.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from podium.errors import BrokerError

CmdlineOf = Callable[[int], list[str] | None]

# `sh` starts java in the background and exits at once, so the broker is nobody's
# child: it outlives the CLI, and no Python object waits for it. Its output goes to
# the log file; its stdin is /dev/null. The new session comes from start_new_session.
_LAUNCH = 'log=$1; shift; "$@" >>"$log" 2>&1 </dev/null & echo $!'


class PidState(enum.Enum):
    NONE = "none"  # no pid file
    RUNNING = "running"  # our broker is alive
    STALE = "stale"  # a pid file whose process is gone or is something else


def is_broker_cmdline(args: Sequence[str], properties: Path) -> bool:
    """Whether a command line is the Kafka broker started with ``properties``."""
    if not args or Path(args[0]).name != "java":
        return False
    return "kafka.Kafka" in args and str(properties) in args


def parse_pid(text: str) -> int | None:
    """The pid in a pid file's text, or None when the text is not a positive number."""
    stripped = text.strip()
    if not stripped.isdigit() or int(stripped) <= 0:
        return None
    return int(stripped)


def judge_pid(
    text: str | None, properties: Path, cmdline_of: CmdlineOf
) -> tuple[PidState, int | None]:
    """Classify a pid file's content (None: no file) and return the live pid if ours."""
    if text is None:
        return PidState.NONE, None
    pid = parse_pid(text)
    if pid is None:
        return PidState.STALE, None
    args = cmdline_of(pid)
    if args is None or not is_broker_cmdline(args, properties):
        return PidState.STALE, None
    return PidState.RUNNING, pid


def proc_state(stat: str) -> str:
    """The one-letter state in ``/proc/<pid>/stat`` (``R``, ``S``, ``Z``...).

    The command name in parentheses may itself hold spaces and ``)``, so the state
    is read after the last ``)``.
    """
    return stat.rpartition(")")[2].split()[0]


def cmdline_of(pid: int) -> list[str] | None:
    """The live process's arguments, or None when it is gone or a zombie."""
    proc = Path(f"/proc/{pid}")
    if not Path("/proc/self").is_dir():
        return _ps_cmdline(pid)
    try:
        if proc_state((proc / "stat").read_text()) in ("Z", "X"):
            return None
        raw = (proc / "cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _ps_cmdline(pid: int) -> list[str] | None:
    """Fallback for systems without /proc (macOS): ``ps`` gives the command as one line."""
    result = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    line = result.stdout.strip()
    if result.returncode != 0 or not line or "<defunct>" in line:
        return None
    return line.split()


def spawn_detached(argv: Sequence[str], *, log_file: Path, cwd: Path) -> int:
    """Start ``argv`` in a session of its own, output appended to ``log_file``; its pid."""
    result = subprocess.run(
        ["/bin/sh", "-c", _LAUNCH, "podium-broker", str(log_file), *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
        timeout=30,
    )
    pid = parse_pid(result.stdout)
    if result.returncode != 0 or pid is None:
        raise BrokerError(f"could not launch the broker: {result.stderr.strip() or 'no pid'}")
    return pid


def poll_until(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Whether ``condition`` became true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def terminate(pid: int, *, timeout: float, is_gone: Callable[[], bool]) -> None:
    """SIGTERM (Kafka shuts down cleanly), then SIGKILL if it is still there after ``timeout``."""
    _signal(pid, signal.SIGTERM)
    if poll_until(is_gone, timeout):
        return
    _signal(pid, signal.SIGKILL)
    if not poll_until(is_gone, 10.0):
        raise BrokerError(f"the broker (pid {pid}) did not exit, even after SIGKILL")


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone: what we wanted
        os.kill(pid, signum)
