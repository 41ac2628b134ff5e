"""Kafka's jars, resolved once per version with Maven and cached.

Podium never downloads a Kafka tarball: the Maven project in ``deploy/kafka``
resolves the broker and its runtime dependencies, and they are copied into
``<jars_cache>/<version>/libs``. A ``.resolved`` marker is written only after
Maven succeeded, so an interrupted fetch is redone rather than trusted.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from podium._bundle import bundled
from podium.broker._files import locked
from podium.errors import BrokerError, ConfigError, MissingToolError

_USE_EXISTING = (
    "or set PODIUM_KAFKA__BOOTSTRAP_SERVERS=host:port to use an existing Kafka cluster instead"
)
_INSTALL = {
    "java": "podium broker runs Apache Kafka on the JVM: install a Java 17+ JDK "
    "(Debian: apt-get install openjdk-17-jre-headless)",
    "mvn": "podium broker fetches Kafka's jars with Maven: install Apache Maven "
    "(Debian: apt-get install maven)",
}
MVN_TIMEOUT_S = 900.0


def missing_tool_message(tool: str) -> str:
    """What to install when ``tool`` (java or mvn) is not on PATH."""
    return f"`{tool}` is not on PATH; {_INSTALL[tool]}, {_USE_EXISTING}"


def require_tool(tool: str, path: str | None = None) -> str:
    """The full path of ``tool``, or a MissingToolError saying what to install."""
    found = shutil.which(tool, path=path)
    if found is None:
        raise MissingToolError(missing_tool_message(tool))
    return found


def find_pom() -> Path:
    """The Maven project that resolves Kafka's jars (``deploy/kafka/pom.xml`` of a
    checkout, or the installed package's copy)."""
    try:
        pom = bundled("kafka") / "pom.xml"
    except ConfigError as missing:
        raise BrokerError(f"{missing}, {_USE_EXISTING}") from None
    if not pom.is_file():
        raise BrokerError(f"cannot find {pom}: reinstall Podium, {_USE_EXISTING}")
    return pom


@dataclass(frozen=True)
class JarCache:
    """Where one Kafka version's jars live: ``<root>/<version>/libs``."""

    root: Path
    version: str

    @property
    def dir(self) -> Path:
        return self.root / self.version

    @property
    def libs(self) -> Path:
        return self.dir / "libs"

    @property
    def marker(self) -> Path:
        return self.dir / ".resolved"

    @property
    def classpath(self) -> str:
        return f"{self.libs}/*"

    def is_resolved(self) -> bool:
        return self.marker.is_file() and self.libs.is_dir()


def resolve_jars(cache: JarCache, *, pom: Path | None = None) -> Path:
    """The folder of ``cache.version``'s jars, running Maven the first time only."""
    if cache.is_resolved():
        return cache.libs
    mvn = require_tool("mvn")
    pom = pom or find_pom()
    cache.dir.mkdir(parents=True, exist_ok=True)
    with locked(cache.dir / ".lock"):
        if not cache.is_resolved():  # another process may have fetched while we waited
            _fetch(cache, mvn, pom)
    return cache.libs


def _fetch(cache: JarCache, mvn: str, pom: Path) -> None:
    staging = Path(tempfile.mkdtemp(prefix="libs.", dir=cache.dir))
    try:
        _run_maven(mvn, pom, cache.version, staging)
        _check_jars(staging, cache.version)
        shutil.rmtree(cache.libs, ignore_errors=True)  # a leftover of an interrupted fetch
        staging.chmod(0o755)  # mkdtemp makes it private; the jars are not secret
        staging.rename(cache.libs)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    cache.marker.write_text(f"kafka {cache.version} resolved {stamp}\n")


def _run_maven(mvn: str, pom: Path, version: str, libdir: Path) -> None:
    # Maven builds in a copy beside the jars: its target/ must not land in the
    # checkout, nor in site-packages when Podium is installed from a wheel
    with tempfile.TemporaryDirectory(prefix="maven.", dir=libdir.parent) as project:
        shutil.copyfile(pom, Path(project) / "pom.xml")
        _maven(mvn, Path(project) / "pom.xml", version, libdir)


def _maven(mvn: str, pom: Path, version: str, libdir: Path) -> None:
    command = [mvn, "-q", "-B", "-f", str(pom), f"-Dkafka.version={version}"]
    command += [f"-Dpodium.libdir={libdir}", "package"]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=MVN_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        message = f"Maven did not resolve Kafka {version} within {exc.timeout:.0f}s"
        raise BrokerError(message) from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise BrokerError(
            f"Maven could not resolve Kafka {version} (is that a released version, "
            f"such as 4.4.0 or 3.9.1?); its last lines:\n{tail}"
        )


def _check_jars(libdir: Path, version: str) -> None:
    if not list(libdir.glob(f"kafka_*-{version}.jar")):
        raise BrokerError(f"Maven finished but left no kafka_*-{version}.jar in {libdir}")
