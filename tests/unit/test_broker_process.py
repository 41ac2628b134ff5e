"""Recognising the broker's process from a pid file, and stopping processes for good."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from podium.broker._process import (
    CmdlineOf,
    PidState,
    cmdline_of,
    is_broker_cmdline,
    judge_pid,
    poll_until,
    proc_state,
    spawn_detached,
    terminate,
)

PROPS = Path("/state/server.properties")
BROKER_ARGS = [
    "/usr/lib/jvm/java-17/bin/java",
    "-Xmx512m",
    "-cp",
    "libs/*",
    "kafka.Kafka",
    str(PROPS),
]


def _lookup(table: dict[int, list[str]]) -> CmdlineOf:
    """A fake process table: pid -> command line; absent pids are gone."""
    return table.get


def test_no_pid_file_means_not_running() -> None:
    assert judge_pid(None, PROPS, _lookup({})) == (PidState.NONE, None)


def test_our_live_broker_is_running() -> None:
    assert judge_pid("42\n", PROPS, _lookup({42: BROKER_ARGS})) == (PidState.RUNNING, 42)


def test_a_pid_whose_process_is_gone_is_stale() -> None:
    assert judge_pid("42\n", PROPS, _lookup({})) == (PidState.STALE, None)


def test_a_pid_reused_by_another_program_is_stale() -> None:
    assert judge_pid("42", PROPS, _lookup({42: ["/usr/bin/vim", "notes"]})) == (
        PidState.STALE,
        None,
    )


def test_another_state_dirs_broker_is_not_ours() -> None:
    other = [*BROKER_ARGS[:-1], "/elsewhere/server.properties"]
    assert judge_pid("42", PROPS, _lookup({42: other}))[0] is PidState.STALE


def test_a_garbled_pid_file_is_stale() -> None:
    for text in ("", "abc", "-5", "0", "12 13"):
        assert judge_pid(text, PROPS, _lookup({}))[0] is PidState.STALE


def test_only_java_running_kafka_counts() -> None:
    assert is_broker_cmdline(BROKER_ARGS, PROPS)
    assert not is_broker_cmdline(["python", "kafka.Kafka", str(PROPS)], PROPS)
    assert not is_broker_cmdline(["java", "-version"], PROPS)
    assert not is_broker_cmdline([], PROPS)


def test_the_state_letter_is_read_after_the_command_name() -> None:
    assert proc_state("42 (java) S 1 42 42 0") == "S"
    assert proc_state("42 (odd) name (x)) Z 1 42") == "Z"


def test_the_command_line_of_a_live_process_and_of_a_zombie() -> None:
    me = cmdline_of(os.getpid())
    assert me is not None and "python" in Path(me[0]).name
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        child_gone = _wait_for_exit(child.pid)
        assert child_gone  # exited but not yet reaped: a zombie counts as gone
    finally:
        child.wait()
    assert cmdline_of(child.pid) is None


def _wait_for_exit(pid: int) -> bool:
    return poll_until(lambda: cmdline_of(pid) is None, timeout=10)


def test_a_detached_process_is_nobodys_child_and_stops_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    pid = spawn_detached(["sh", "-c", "echo hello; exec sleep 30"], log_file=log, cwd=tmp_path)
    _wait_for_line(log, "hello")  # its output goes to the log file
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # not our child: it outlives whoever started it
    assert os.getsid(pid) != os.getsid(0)  # and has a session of its own
    terminate(pid, timeout=10, is_gone=lambda: cmdline_of(pid) is None)
    assert cmdline_of(pid) is None


def test_a_process_ignoring_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    script = "trap '' TERM; echo ready; exec sleep 30"
    pid = spawn_detached(["sh", "-c", script], log_file=tmp_path / "log", cwd=tmp_path)
    _wait_for_line(tmp_path / "log", "ready")
    terminate(pid, timeout=0.3, is_gone=lambda: cmdline_of(pid) is None)
    assert cmdline_of(pid) is None


def _wait_for_line(path: Path, text: str) -> None:
    assert poll_until(lambda: path.is_file() and text in path.read_text(), timeout=10)
