"""A secret param's value is never written in clear: not on any topic, in any log, in the
API's answer or in ``podium runs show``.

The run carries ``env:E2E_DB_PASSWORD``; only the step service's environment holds the
value. The handler resolves it (``ctx.secret``), logs it, fails once with it in the
error message, then returns it as output. Afterwards every record (key, value, headers)
of every topic of the stack, DLQs included, every process log, the API's run JSON and
the CLI's run view are searched for the value.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from podium.dlq import read_dlq
from podium.testing import wait_until_sync
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, Stack

SECRET = "Tr0ub4dor&3-e2e-secret"
TIMEOUT = 60.0


async def test_a_secret_is_never_written_in_clear(own_stack: Stack) -> None:
    stack = own_stack
    stack.start_coordinator()
    stack.extra_env["E2E_DB_PASSWORD"] = SECRET  # the service's environment only
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    del stack.extra_env["E2E_DB_PASSWORD"]
    port = _free_port()
    stack.start("api", "api", "--port", str(port))
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "connect", input={"use_secret": "db_password"}),
        params={"db_password": {"type": "string", "secret": True}},
    )
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name, {"db_password": "env:E2E_DB_PASSWORD"})
        seen = await watcher.until(
            lambda s: s.terminal(run_id), timeout=TIMEOUT, what="the run ends"
        )
    assert seen.terminal(run_id) == ["SUCCEEDED"]  # attempt 1 failed, attempt 2 succeeded
    output = json.loads(seen.step_events(run_id, "connect")[-1].output_json or "{}")
    assert output == {"connected_with": "***"}

    api_answer = _api_run(port, run_id)
    refused = _post_run(port, {"pipeline": definition.name, "params": {"db_password": SECRET}})
    assert refused[0] == 400 and "env:NAME or file:/path" in refused[1]
    api_answer += refused[1]
    cli = stack.cli("runs", "show", run_id)
    assert cli.returncode == 0, cli.stderr
    logs = "".join(stack.log(name) for name in stack.processes)
    assert "connecting to the database with password ***" in logs  # the line was logged
    assert "login refused for password ***" in logs + api_answer
    records = await _every_record(stack)
    assert records, "no records read"
    for where, text in [("api", api_answer), ("cli", cli.stdout + cli.stderr), ("logs", logs)]:
        assert SECRET not in text, f"the secret is in the {where}"
    leaks = [r for r in records if SECRET.encode() in r]
    assert not leaks, f"the secret is on a topic: {leaks[:1]}"


def _api_run(port: int, run_id: str) -> str:
    def answer() -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/runs/{run_id}") as r:
                text: str = r.read().decode()
                return text if '"SUCCEEDED"' in text else None
        except OSError:
            return None

    return wait_until_sync(answer, timeout=TIMEOUT, what="the API shows the run finished")


def _post_run(port: int, body: dict[str, Any]) -> tuple[int, str]:
    """A literal value for a secret param: refused, and not echoed."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/runs",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


async def _every_record(stack: Stack) -> list[bytes]:
    """Key, value and headers of every record of every topic of the stack (its prefix),
    changelogs and DLQs included, each as one bytes blob."""
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap)
    await admin.start()
    try:
        names = [t for t in await admin.list_topics() if stack.prefix in t]
    finally:
        await admin.close()
    assert len(names) >= 5, names  # runs, results, run events, requests, changelogs...
    kwargs = stack.settings.client_kwargs()
    blobs: list[bytes] = []
    for name in names:  # read_dlq reads any topic whole, without a group
        _, kept = await read_dlq(kwargs, name, keep=lambda _: True)
        blobs.extend(_blob(record) for _, record in kept)
    return blobs


def _blob(record: Any) -> bytes:
    headers = b"".join(k.encode() + (v or b"") for k, v in record.headers or ())
    return (record.key or b"") + (record.value or b"") + headers


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
