"""A step service in Java, with no Podium code, serves a pipeline step end to end.

``services/examples/java-archive`` uses only Apache Avro (single-object encoding of the
``schemas/`` it carries in its jar) and Kafka's Java client. Here it is built with Maven
(once per content: ``build.sh`` caches the jar) and run as ``java -jar``, beside the
coordinator and the scripted Python worker of the other steps. Needs ``java`` and ``mvn``
(deploy/setup.sh installs them as root on Debian, and builds the jar); in CI (``CI=true``)
a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podium import contract as wire
from tests.integration.e2e.conftest import make_stack, serving
from tests.integration.e2e.foreign import (
    UNDECODABLE,
    check_routed_result,
    send_junk,
    service_step,
)
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import REPO, Stack, run_once
from tests.required import require_tools

ARCHIVE = "archive"
BUILD = REPO / "services" / "examples" / "java-archive" / "build.sh"
RUN_TIMEOUT = 60.0

pytestmark = pytest.mark.timeout(600)  # a cold first build fetches Avro and kafka-clients


@pytest.fixture(scope="module")
def archive_jar() -> Path:
    """The Java service's jar, built by Maven unless this content was built before."""
    require_tools("the Java step service test", "java", "mvn")
    done = subprocess.run(
        ["bash", str(BUILD)], capture_output=True, text=True, timeout=540, check=False
    )
    assert done.returncode == 0, f"the Maven build failed:\n{done.stderr[-3000:]}"
    return Path(done.stdout.split()[-1]) / "podium-java-archive.jar"


@pytest.fixture(scope="module")
def stack(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, archive_jar: Path
) -> Iterator[Stack]:
    """A coordinator, the scripted Python worker and the Java archive service."""
    home = tmp_path_factory.mktemp("java")
    with serving(make_stack(kafka_bootstrap, home, ["worker", ARCHIVE])) as stack:
        env = {
            "ARCHIVE_REQUEST_TOPIC": stack.step_topic(ARCHIVE),
            "ARCHIVE_GROUP_ID": f"{stack.prefix}-{ARCHIVE}",
            "ARCHIVE_DIR": str(home / "archive"),
        }
        stack.start_program(ARCHIVE, ["java", "-jar", str(archive_jar)], env)
        yield stack


def archive_step(stack: Stack, name: str = "archive", **fields: Any) -> dict[str, Any]:
    return service_step(stack, ARCHIVE, name, **fields)


def step_output(event: wire.RunStatusChanged) -> Any:
    assert event.output_json is not None
    return json.loads(event.output_json)


async def test_a_java_step_completes_and_its_output_feeds_the_next_step(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "extract", input={"output": {"rows": 3}}),
        archive_step(stack, after=["extract"], input={"name": "daily-report"}),
        step(p, "publish", after=["archive"], input={"echo_upstream": True}),
    )
    run_id, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    archived = step_output(seen.step_events(run_id, "archive")[-1])
    written = Path(archived["archived"]).read_bytes()
    assert archived["bytes"] == len(written)
    assert archived["sha256"] == hashlib.sha256(written).hexdigest()
    assert archived["upstream_steps"] == ["extract"]
    assert json.loads(written)["upstream"] == {"extract": {"rows": 3}}
    # the next step got the Java step's output as its upstream, byte for byte the same JSON
    assert step_output(seen.step_events(run_id, "publish")[-1]) == {"archive": archived}


async def test_java_results_are_keyed_partitioned_and_traced_as_the_run(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, archive_step(stack, input={"name": "traced"}))
    run_id, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(run_id) == ["SUCCEEDED"]
    await check_routed_result(stack, seen, run_id, "archive", worker=b"java-archive/")


async def test_a_retryable_java_failure_is_retried_as_declared(stack: Stack) -> None:
    """The run's archive folder is taken by a file: every attempt fails with an I/O
    error (retryable), so the coordinator tries three times, as declared, then fails."""
    p = stack.prefix
    definition = pipeline(
        p,
        archive_step(stack, input={"name": "blocked"}),
        step(p, "never", after=["archive"]),
    )
    blocked = f"run-{uuid.uuid4().hex[:12]}"
    (stack.home / "archive").mkdir(exist_ok=True)
    (stack.home / "archive" / blocked).write_text("a file where the run's folder goes")
    run_id, seen = await run_once(stack, definition, run_id=blocked, timeout=RUN_TIMEOUT)
    assert seen.terminal(run_id) == ["FAILED"]
    events = seen.step_events(run_id, "archive")
    assert [str(e.step_status) for e in events].count("RETRY_WAIT") == 2
    last = events[-1]
    assert str(last.step_status) == "FAILED" and last.attempt == 3
    assert last.error is not None and last.error.retryable
    assert last.error.error_type == "FileAlreadyExistsException"
    assert "RUNNING" not in seen.step_statuses(run_id, "never")


async def test_invalid_input_fails_the_java_step_at_once(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(p, archive_step(stack, input={"name": "../../etc/passwd"}))
    run_id, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(run_id) == ["FAILED"]
    events = seen.step_events(run_id, "archive")
    assert "RETRY_WAIT" not in [str(e.step_status) for e in events]  # not retryable
    last = events[-1]
    assert last.attempt == 1 and last.error is not None and not last.error.retryable
    assert last.error.error_type == "ValidationError"
    assert "input.name" in last.error.error_message


async def test_undecodable_requests_are_dead_lettered_and_the_service_keeps_serving(
    stack: Stack,
) -> None:
    run_id = f"bad-{uuid.uuid4().hex[:12]}"
    entries = await send_junk(stack, ARCHIVE, run_id)
    assert [(e.reason, e.detail) for e in entries] == UNDECODABLE
    assert {e.origin.topic for e in entries if e.origin} == {stack.step_topic(ARCHIVE)}
    assert {e.group for e in entries} == {f"{stack.prefix}-{ARCHIVE}"}
    # still serving: a run through the Java step succeeds after the garbage
    definition = pipeline(stack.prefix, archive_step(stack, input={"name": "after-junk"}))
    after, seen = await run_once(stack, definition, timeout=RUN_TIMEOUT)
    assert seen.terminal(after) == ["SUCCEEDED"]
    assert stack.processes[ARCHIVE].poll() is None
