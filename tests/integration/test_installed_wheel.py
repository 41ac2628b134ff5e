"""An installed Podium works: the wheel built from this checkout, installed (not
editable) into an empty venv, run from a folder that is not a checkout.

Building and installing take a while (the dependencies come from pip's cache after
``deploy/setup.sh``), so the venv is made once for the module.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_demo import STEPS, Demo, leftovers

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT_S = 600


def _run(command: list[str], cwd: Path, timeout: float = INSTALL_TIMEOUT_S) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=_outside_env(), capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"{command} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


def _outside_env() -> dict[str, str]:
    """This process's environment without anything that points into the checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the wheel of this checkout and its dependencies."""
    base = tmp_path_factory.mktemp("wheel")
    wheels, venv = base / "dist", base / "venv"
    python = sys.executable
    _run([python, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)], base)
    [wheel] = wheels.glob("podium-*.whl")
    _run([python, "-m", "venv", str(venv)], base)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], base)
    return venv


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """An empty folder far from the checkout, to run commands in."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_the_installed_package_is_not_the_checkout(venv: Path, outside: Path) -> None:
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import podium; print(podium.__file__)"], outside
    )
    assert Path(where.strip()).is_relative_to(venv), where
    typed = _run([str(venv / "bin" / "python"), "-c", _PACKAGE_FILES], outside)
    assert typed.split() == ["py.typed", "LICENSE"]


_PACKAGE_FILES = """
from importlib import metadata, resources
print(*[f.name for f in resources.files("podium").iterdir() if f.name == "py.typed"])
print(*[p.name for p in metadata.files("podium") if p.name == "LICENSE"])
"""


def test_schemas_check_reads_the_installed_schemas(venv: Path, outside: Path) -> None:
    output = _run([str(venv / "bin" / "podium"), "schemas", "check"], outside, timeout=60)
    assert f"parsed 16 schema files from {venv}" in output, output
    assert "backward and forward compatible" in output, output


def test_topics_list_finds_the_installed_topic_files(
    venv: Path, outside: Path, kafka_bootstrap: str
) -> None:
    env = _outside_env() | {"PODIUM_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap}
    result = subprocess.run(
        [str(venv / "bin" / "podium"), "topics", "list"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # every declared topic gets a line, whatever the shared broker already holds
    assert "podium.runs" in result.stdout and "podium.step.results" in result.stdout, result.stdout


@pytest.fixture
def installed_demo(venv: Path, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Demo]:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    cwd.mkdir()
    env = _outside_env() | {
        "PODIUM_HOME": str(home),
        "PODIUM_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap,
        "PODIUM_COORDINATOR__APP_ID": f"wheel-demo-{uuid.uuid4().hex[:10]}",
    }
    try:
        yield Demo(env, home, cwd, python=str(venv / "bin" / "python"))
    finally:
        for pid in leftovers(home):
            os.kill(pid, 9)


def test_a_one_run_demo_succeeds_from_the_installed_package(installed_demo: Demo) -> None:
    done = installed_demo.once()
    assert done.status == 0, done.output
    assert all(done.step_succeeded(step) for step in STEPS), done.output
    assert f"run {done.run_id} SUCCEEDED" in done.output
    assert not leftovers(done.home), "a process the demo started is still running"
