"""Interop with the official Apache Avro Java library (org.apache.avro:avro).

``avro-java/Interop.java`` frames and reads messages with Avro's own
``BinaryMessageEncoder``/``BinaryMessageDecoder`` and ``GenericData`` records,
parsing the same ``schemas/`` files. Messages must cross both ways, and Java's
fingerprints (``SchemaNormalization``) must equal Podium's byte for byte.

Needs ``java`` (17+) and ``mvn``; Maven fetches Avro once into
``~/.cache/podium/interop`` (or ``PODIUM_INTEROP_CACHE``). In CI (``CI=true``)
a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from fastavro import json_reader, json_writer

from podium.codec import Codec, SchemaRegistry, frame
from podium.codec._avro import encode_body
from podium.codec.strategies import SAMPLE_TIME, sample_events
from podium.contract import PodiumModel, StepCompleted
from tests.required import require_tools

HERE = Path(__file__).resolve().parent / "avro-java"
POM = HERE / "pom.xml"
SOURCE = HERE / "Interop.java"
REGISTRY = SchemaRegistry.load()
CODEC = Codec(REGISTRY)

pytestmark = pytest.mark.timeout(600)  # the first test may wait for Maven to fetch Avro


def _cache_dir() -> Path:
    default = Path.home() / ".cache" / "podium" / "interop"
    return Path(os.environ.get("PODIUM_INTEROP_CACHE", default))


def _build_libs() -> Path:
    """Avro's jars, fetched by Maven once per pom.xml content and reused after."""
    digest = hashlib.sha256(POM.read_bytes()).hexdigest()[:12]
    libs = _cache_dir() / f"avro-libs-{digest}"
    if any(libs.glob("avro-*.jar")):
        return libs
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="avro-libs-", dir=libs.parent))
    command = ["mvn", "-q", "-B", "-f", str(POM), f"-Dinterop.libdir={staging}", "package"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=540, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"mvn could not fetch Avro:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    if libs.exists():  # another session finished first; its jars are the same
        shutil.rmtree(staging)
    else:
        staging.replace(libs)
    return libs


@pytest.fixture(scope="session")
def avro_java() -> Any:
    """A function sending request lines to the Java peer and returning its answers."""
    require_tools("the Avro Java interop test", "java", "mvn")
    libs = _build_libs()

    def ask(requests: list[str]) -> list[str]:
        command = ["java", "-cp", f"{libs}/*", str(SOURCE), str(REGISTRY.directory)]
        done = subprocess.run(
            command, input="\n".join(requests) + "\n", capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        answers = done.stdout.splitlines()
        assert done.returncode == 0 and len(answers) == len(requests), done.stderr[-2000:]
        failures = [a for a in answers if not a.startswith("ok ")]
        assert not failures, failures
        return [answer.removeprefix("ok ") for answer in answers]

    return ask


def avro_json(event: PodiumModel) -> str:
    """The event in Avro's JSON encoding (unions tagged by branch), as Java's JsonDecoder reads."""
    out = io.StringIO()
    json_writer(out, REGISTRY.current(event.avro_name).parsed, [event.model_dump()])
    return out.getvalue().strip()


def from_avro_json(name: str, text: str) -> dict[str, Any]:
    [record] = list(json_reader(io.StringIO(text), REGISTRY.current(name).parsed))
    assert isinstance(record, dict)
    return record


def test_java_computes_the_same_fingerprint_for_every_schema(avro_java: Any) -> None:
    entries = REGISTRY.current_entries()
    answers = avro_java([f"fingerprint {entry.name}" for entry in entries])
    assert answers == [entry.fingerprint_hex for entry in entries]


def test_messages_framed_by_avro_java_decode_with_podium(avro_java: Any) -> None:
    events = sample_events()
    answers = avro_java([f"encode {e.avro_name} {avro_json(e)}" for e in events])
    for event, answer in zip(events, answers, strict=True):
        data = bytes.fromhex(answer)
        assert CODEC.decode_event(data, type(event)) == event
        assert data == CODEC.encode_event(event)  # the same bytes, header and body


def test_podium_messages_decode_with_avro_java(avro_java: Any) -> None:
    events = sample_events()
    answers = avro_java([f"decode {e.avro_name} {CODEC.encode_event(e).hex()}" for e in events])
    for event, answer in zip(events, answers, strict=True):
        assert type(event).model_validate(from_avro_json(event.avro_name, answer)) == event


def test_avro_java_resolves_podium_old_writer_to_its_current_reader(avro_java: Any) -> None:
    old = REGISTRY.history("StepCompleted")[0]
    fields: dict[str, Any] = {"run_id": "r", "step": "s", "attempt": 3, "output_json": "1"}
    data = frame(old.fingerprint, encode_body(old.parsed, fields | {"completed_at": SAMPLE_TIME}))
    [answer] = avro_java([f"decode podium.v1.StepCompleted {data.hex()}"])
    decoded = StepCompleted.model_validate(from_avro_json("podium.v1.StepCompleted", answer))
    assert decoded == StepCompleted(**fields, completed_at=SAMPLE_TIME)
