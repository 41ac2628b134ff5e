"""The demo's child processes, with a stand-in interpreter instead of real Podium children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from podium.demo._children import Children, tail
from podium.demo._plan import ChildSpec
from podium.testing import wait_until_sync

FAKE_PYTHON = f"""#!{sys.executable}
import signal, sys, time
print("started", *sys.argv[1:], flush=True)
if "stubborn" in sys.argv:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if "quits" in sys.argv:
    sys.exit(3)
while True:
    time.sleep(0.05)
"""


@pytest.fixture
def fake_python(tmp_path: Path) -> str:
    """An "interpreter" that runs forever (or quits, or ignores SIGTERM) whatever it is given."""
    path = tmp_path / "python"
    path.write_text(FAKE_PYTHON)
    path.chmod(0o755)
    return str(path)


def spec(tmp_path: Path, name: str, *args: str) -> ChildSpec:
    return ChildSpec(name, args, tmp_path / "logs" / f"{name}.log")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_children_log_to_their_files_and_a_dead_one_is_noticed(
    fake_python: str, tmp_path: Path
) -> None:
    children = Children(fake_python, {"PATH": os.environ["PATH"]}, cwd=tmp_path)
    try:
        children.start(spec(tmp_path, "api", "api", "--port", "1"))
        children.start(spec(tmp_path, "load", "quits"))
        wait_until_sync(lambda: children.exited(), timeout=10, what="the quitting child")
        assert children.exited() == {"load": 3}
        wait_until_sync(lambda: "started" in tail(tmp_path / "logs" / "api.log"), timeout=10)
        log = tail(tmp_path / "logs" / "api.log")
        assert "podium demo" in log and "started -m podium api --port 1" in log
    finally:
        children.stop_all(grace=5)


def test_stop_all_terminates_then_kills_what_ignores_sigterm(
    fake_python: str, tmp_path: Path
) -> None:
    children = Children(fake_python, {"PATH": os.environ["PATH"]}, cwd=tmp_path)
    children.start(spec(tmp_path, "polite", "run"))
    children.start(spec(tmp_path, "stubborn", "stubborn"))
    wait_until_sync(lambda: "started" in tail(tmp_path / "logs" / "stubborn.log"), timeout=10)
    began = time.monotonic()
    codes = children.stop_all(grace=1.0)
    assert codes == {"polite": -signal.SIGTERM, "stubborn": -signal.SIGKILL}
    assert 1.0 <= time.monotonic() - began < 5


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_of_a_killed_demo_do_not_outlive_it(fake_python: str, tmp_path: Path) -> None:
    """SIGKILL gives the demo no chance to clean up: the kernel tells its children."""
    parent = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from podium.demo._children import ChildSpec, Children
        children = Children({fake_python!r}, {{}}, cwd=Path({str(tmp_path)!r}))
        print(children.start(ChildSpec("c", ("run",), Path({str(tmp_path / "c.log")!r}))),
              flush=True)
        time.sleep(60)
    """)
    demo = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    assert demo.stdout is not None
    child = int(demo.stdout.readline())
    try:
        assert alive(child)
        demo.kill()
        demo.wait()
        wait_until_sync(lambda: not alive(child), timeout=10, what="the orphan to stop")
    finally:
        demo.stdout.close()
        if alive(child):
            os.kill(child, signal.SIGKILL)
