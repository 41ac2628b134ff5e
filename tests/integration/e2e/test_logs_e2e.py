"""``PODIUM_LOG_FORMAT=json`` across real processes: every line the coordinator and the
service write is a JSON object; a run gets one coordinator line at its start and one at
its end, and the service's lines about it carry its run id, step, attempt and trace id."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import TRACEPARENT, EventWatcher, Stack

TRACE_ID = TRACEPARENT.split("-")[1]


def json_lines(stack: Stack, name: str) -> list[dict[str, Any]]:
    lines = [line for line in stack.log(name).splitlines() if line.strip()]
    assert lines, f"{name} wrote nothing"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError as exc:
            raise AssertionError(f"{name} wrote a line that is not JSON: {line!r}") from exc
    return parsed


async def test_json_logs_join_a_run_by_its_ids(own_stack: Stack) -> None:
    stack = own_stack
    stack.extra_env.update(PODIUM_LOG_FORMAT="json", E2E_DB_PASSWORD="s3cr3t-e2e-logs")
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "connect", input={"use_secret": "db_password"}),  # logs; fails once
        params={"db_password": {"type": "string", "secret": True}},
    )
    await stack.publish(definition)
    async with EventWatcher(stack) as watcher:
        run_id = await stack.request_run(definition.name, {"db_password": "env:E2E_DB_PASSWORD"})
        await watcher.until(lambda seen: seen.terminal(run_id), timeout=60, what="the run ends")
    stack.stop_all()  # every line flushed

    about_run = [line for line in json_lines(stack, "coordinator") if line.get("run_id") == run_id]
    run = f"run {run_id} of {definition.name} v1"
    assert [line["message"] for line in about_run][:1] == [f"{run} started"]
    assert len(about_run) == 2 and about_run[1]["message"].startswith(f"{run} succeeded after")
    assert all(line["trace_id"] == TRACE_ID and line["pipeline"] == definition.name
               for line in about_run)  # fmt: skip
    assert [line["level"] for line in about_run] == ["INFO", "INFO"]

    step_lines = [line for line in json_lines(stack, "worker") if line.get("run_id") == run_id]
    assert step_lines, "the service logged nothing about the run"
    for line in step_lines:
        assert line["step"] == "connect" and line["trace_id"] == TRACE_ID
        assert line["attempt"] in (1, 2) and line["pipeline"] == definition.name
    assert any("password ***" in line["message"] for line in step_lines)
    assert "s3cr3t-e2e-logs" not in stack.log("worker") + stack.log("coordinator")
