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


def _launch(
    command: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` run outside the checkout, with ``env`` added to the environment."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=_outside_env() | (env or {}),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _run(
    command: list[str],
    cwd: Path,
    timeout: float = INSTALL_TIMEOUT_S,
    env: dict[str, str] | None = None,
) -> str:
    result = _launch(command, cwd, timeout, env)
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
    assert typed.splitlines() == ["py.typed", "LICENSE", "app.css app.js index.html"]


_PACKAGE_FILES = """
from importlib import metadata, resources
print(*[f.name for f in resources.files("podium").iterdir() if f.name == "py.typed"])
print(*[p.name for p in metadata.files("podium") if p.name == "LICENSE"])
print(*sorted(f.name for f in resources.files("podium.api").joinpath("ui").iterdir()))
"""


def test_the_benchmark_harness_ships_beside_the_package(venv: Path, outside: Path) -> None:
    """``podium_bench`` is its own top-level package in the same wheel, and ``podium
    bench`` loads it when it runs (``--help`` does not: a run against a cluster that is
    not there does, and fails as the harness fails, not as a missing package)."""
    where = _run(
        [str(venv / "bin" / "python"), "-c", "import podium_bench; print(podium_bench.__file__)"],
        outside,
    )
    assert Path(where.strip()).is_relative_to(venv), where
    assert Path(where.strip()).parent.name == "podium_bench", where
    output = _run([str(venv / "bin" / "podium"), "bench", "--help"], outside, timeout=60)
    assert "--smoke" in output, output
    relay = [str(venv / "bin" / "python"), "-m", "podium_bench._relay", "--help"]
    assert "--hop" in _run(relay, outside, timeout=60)
    nowhere = {
        "PODIUM_HOME": str(outside / "home"),
        "PODIUM_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",  # nothing listens
    }
    run = _launch([str(venv / "bin" / "podium"), "bench", "--smoke"], outside, 120, nowhere)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "error: benchmark: Kafka at 127.0.0.1:1" in run.stderr, run.stderr


def test_schemas_check_reads_the_installed_schemas(venv: Path, outside: Path) -> None:
    output = _run([str(venv / "bin" / "podium"), "schemas", "check"], outside, timeout=60)
    # every schema of the checkout is in the wheel, whichever ones the contract gains
    shipped = len(list((ROOT / "schemas").rglob("*.avsc")))
    assert f"parsed {shipped} schema files from {venv}" in output, output
    assert "backward and forward compatible" in output, output


def test_topics_list_finds_the_installed_topic_files(
    venv: Path, outside: Path, kafka_bootstrap: str
) -> None:
    cluster = {"PODIUM_KAFKA__BOOTSTRAP_SERVERS": kafka_bootstrap}
    listed = _run([str(venv / "bin" / "podium"), "topics", "list"], outside, 60, cluster)
    # every declared topic gets a line, whatever the shared broker already holds
    assert "podium.runs" in listed and "podium.step.results" in listed, listed


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
