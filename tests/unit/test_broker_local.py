"""LocalBroker's shell without Kafka: stale state, missing tools, failed starts.

A fake ``java`` (a Python script) stands in for the JVM, so these run in about a
second: it "formats" storage, then either dies or hangs without answering.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from podium.broker import JarCache, LocalBroker, resolve_jars
from podium.broker._jars import find_pom, missing_tool_message
from podium.broker._process import cmdline_of
from podium.errors import BrokerError, MissingToolError

FAKE_JAVA = f"""#!{sys.executable}
import os, sys
args = sys.argv[1:]
if "kafka.tools.StorageTool" in args and os.environ.get("FAKE_BROKER") == "no-format":
    print("Invalid cluster.id: not formatted", file=sys.stderr)
    sys.exit(1)
if "kafka.tools.StorageTool" in args:
    props = dict(line.split("=", 1) for line in open(args[-1]) if "=" in line)
    data = props["log.dirs"].strip()
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "meta.properties"), "w") as meta:
        meta.write("cluster.id=" + args[args.index("-t") + 1] + "\\n")
    print("fake format done")
    sys.exit(0)
if os.environ.get("FAKE_BROKER") == "die":
    print("fake broker: cannot bind the address", file=sys.stderr)
    sys.exit(1)
# Look like a broker (java ... kafka.Kafka <props>) that never answers.
os.execv(sys.executable, ["java", "-c", "import time; time.sleep(60)", "kafka.Kafka", args[-1]])
"""


@pytest.fixture
def jars(tmp_path: Path) -> Path:
    """A jar cache that already holds 4.4.0, so no Maven is needed."""
    cache = JarCache(tmp_path / "jars", "4.4.0")
    cache.libs.mkdir(parents=True)
    cache.marker.write_text("resolved\n")
    return cache.root


@pytest.fixture
def fake_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH holding only the fake java."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    java = bin_dir / "java"
    java.write_text(FAKE_JAVA)
    java.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return java


def _broker(tmp_path: Path, jars: Path) -> LocalBroker:
    return LocalBroker(tmp_path / "state", jars_cache=jars)


def test_a_fresh_state_dir_is_not_running_and_has_no_address(tmp_path: Path, jars: Path) -> None:
    status = _broker(tmp_path, jars).status()
    assert (status.running, status.bootstrap, status.pid) == (False, None, None)
    assert status.kafka_version == "4.4.0"


def test_a_pid_file_of_a_dead_process_is_stale(tmp_path: Path, jars: Path) -> None:
    broker = _broker(tmp_path, jars)
    broker.paths.root.mkdir()
    broker.paths.pid.write_text(f"{_dead_pid()}\n")
    assert not broker.status().running
    assert broker.stop() is False
    assert not broker.paths.pid.exists()


def test_a_pid_reused_by_a_non_java_process_is_not_our_broker(tmp_path: Path, jars: Path) -> None:
    broker = _broker(tmp_path, jars)
    broker.paths.root.mkdir()
    broker.paths.pid.write_text(f"{os.getpid()}\n")  # this pytest: alive, but not java
    assert not broker.status().running
    assert broker.stop() is False  # and it is certainly not signalled
    assert not broker.paths.pid.exists()


def test_a_damaged_state_record_names_the_file_and_field(tmp_path: Path, jars: Path) -> None:
    broker = _broker(tmp_path, jars)
    broker.paths.root.mkdir()
    record = {"cluster_id": "nope", "port": 1, "controller_port": 2, "kafka_version": "4.4.0"}
    broker.paths.record.write_text(json.dumps(record))
    with pytest.raises(BrokerError, match=r"broker\.json is damaged \(field cluster_id"):
        broker.status()


def test_without_java_start_says_what_to_install(
    tmp_path: Path, jars: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java here
    with pytest.raises(MissingToolError) as caught:
        _broker(tmp_path, jars).start()
    message = str(caught.value)
    assert "apt-get install openjdk-17-jre-headless" in message
    assert "PODIUM_KAFKA__BOOTSTRAP_SERVERS" in message


def test_without_maven_uncached_jars_say_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError, match=r"apt-get install maven.*PODIUM_KAFKA__BOOTSTRAP"):
        resolve_jars(JarCache(tmp_path / "jars", "3.9.1"))
    assert not (tmp_path / "jars" / "3.9.1" / ".resolved").exists()


def test_cached_jars_need_no_maven(
    tmp_path: Path, jars: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_jars(JarCache(jars, "4.4.0")) == jars / "4.4.0" / "libs"


def test_jars_without_the_marker_are_not_trusted(tmp_path: Path) -> None:
    cache = JarCache(tmp_path, "4.4.0")
    cache.libs.mkdir(parents=True)  # an interrupted fetch leaves libs but no marker
    assert not cache.is_resolved()


def test_the_messages_name_the_debian_packages() -> None:
    assert "openjdk-17-jre-headless" in missing_tool_message("java")
    assert "apt-get install maven" in missing_tool_message("mvn")


def test_the_maven_project_is_found_in_the_checkout() -> None:
    pom = find_pom()
    assert pom.parts[-3:] == ("deploy", "kafka", "pom.xml")
    assert "kafka_${scala.binary.version}" in pom.read_text()


def test_a_broker_that_dies_while_starting_reports_its_log(
    tmp_path: Path, jars: Path, fake_java: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_BROKER", "die")
    broker = _broker(tmp_path, jars)
    with pytest.raises(BrokerError, match=r"exited while starting(.|\n)*cannot bind the address"):
        broker.start(timeout=20)
    assert not broker.paths.pid.exists()
    assert not broker.status().running
    assert "fake format done" in broker.log_tail(50)  # storage was formatted first


def test_a_broker_that_never_answers_is_killed_at_the_deadline(
    tmp_path: Path, jars: Path, fake_java: Path
) -> None:
    broker = _broker(tmp_path, jars)
    with pytest.raises(BrokerError, match=r"did not answer on 127\.0\.0\.1:\d+ within 1\.5s"):
        broker.start(timeout=1.5)
    assert not broker.paths.pid.exists()
    assert not broker.status().running
    assert not _hanging_fakes(broker)


def test_the_properties_and_the_record_are_kept_in_the_state_dir(
    tmp_path: Path, jars: Path, fake_java: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_BROKER", "die")
    broker = _broker(tmp_path, jars)
    with pytest.raises(BrokerError):
        broker.start()
    record = json.loads(broker.paths.record.read_text())
    properties = broker.paths.properties.read_text()
    assert f"listeners=PLAINTEXT://127.0.0.1:{record['port']}," in properties
    assert f"log.dirs={broker.paths.data}" in properties
    assert broker.status().bootstrap == f"127.0.0.1:{record['port']}"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _hanging_fakes(broker: LocalBroker) -> list[int]:
    """Processes still running our fake broker (there should be none)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            args = cmdline_of(int(entry.name)) or []
            if str(broker.paths.properties) in args:
                found.append(int(entry.name))
    return found


def test_storage_is_formatted_on_the_first_start_only(
    tmp_path: Path, jars: Path, fake_java: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_BROKER", "die")
    broker = _broker(tmp_path, jars)
    for _ in range(2):
        with pytest.raises(BrokerError):
            broker.start()
    log = broker.log_tail(100)
    assert log.count("fake format done") == 1
    assert log.count("podium: starting Kafka 4.4.0") == 2
    cluster_id = json.loads(broker.paths.record.read_text())["cluster_id"]
    assert broker.paths.meta.read_text() == f"cluster.id={cluster_id}\n"


def test_a_failed_format_shows_the_tools_output(
    tmp_path: Path, jars: Path, fake_java: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_BROKER", "no-format")
    broker = _broker(tmp_path, jars)
    with pytest.raises(BrokerError, match=r"formatting Kafka storage in .*data failed:\n.*Invalid"):
        broker.start()
    assert not broker.paths.pid.exists()
