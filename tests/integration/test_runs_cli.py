"""`podium run` and `podium runs ...` as subprocesses against a real broker; the test plays
the coordinator by answering RunRequested with the RunStatusChanged events it would emit."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from podium.contract import RunCancelRequested, RunRequested, RunStatus, TriggerSource
from podium.runs import run_id_for
from podium.testing import wait_until
from tests.integration.test_api_support import Env, env, simulate_run

__all__ = ["env"]

PODIUM = str(Path(sys.executable).with_name("podium"))


async def podium(env: Env, *args: str, timeout: float = 60) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        PODIUM,
        *args,
        env={**os.environ, **env.environ()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def play_coordinator(env: Env, fail: bool = False) -> RunRequested:
    """Wait for one RunRequested, then emit its run's events."""
    consumer = AIOKafkaConsumer(
        env.topics.runs, **env.kwargs, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    request = env.codec.decode_event(record.value, RunRequested)
    await simulate_run(env, request.run_id, fail=fail)
    return request


async def test_run_prints_the_run_id_and_requests_it_with_typed_params(env: Env) -> None:
    code, out, err = await podium(
        env,
        "run",
        "ingest",
        "--param",
        "uri=file:///a.csv",
        "--param",
        "threshold=7",
        "--idempotency-key",
        "k1",
    )
    assert code == 0, err
    assert out.strip() == run_id_for("ingest", "k1")
    [record] = await env.records(env.topics.runs, 1)
    event = env.codec.decode_event(record.value, RunRequested)
    assert json.loads(event.params_json) == {"uri": "file:///a.csv", "threshold": 7}
    assert event.trigger.source is TriggerSource.CLI and event.pipeline_version == "1"


async def test_bad_params_exit_2_naming_the_param(env: Env) -> None:
    code, _, err = await podium(env, "run", "ingest", "--param", "uri=x", "--param", "threshold=hi")
    assert code == 2 and "params.threshold" in err
    code, _, err = await podium(env, "run", "nope")
    assert code == 2 and "unknown pipeline nope" in err
    assert await env.count(env.topics.runs) == 0


async def test_wait_follows_the_run_and_exits_0_when_it_succeeds(env: Env) -> None:
    cli = asyncio.create_task(podium(env, "run", "ingest", "--param", "uri=u", "--wait"))
    request = await play_coordinator(env)
    code, out, err = await cli
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"run {request.run_id} (ingest@1)"
    assert "  validate RETRY_WAIT (attempt 1): IOError: disk full" in lines
    assert "  validate SUCCEEDED (attempt 2)" in lines
    assert lines[-1].startswith(f"run {request.run_id} SUCCEEDED")


async def test_wait_exits_1_when_the_run_fails(env: Env) -> None:
    cli = asyncio.create_task(podium(env, "run", "ingest", "--param", "uri=u", "--wait"))
    await play_coordinator(env, fail=True)
    code, out, _ = await cli
    assert code == 1 and "FAILED" in out.splitlines()[-1]


async def test_wait_exits_3_when_the_run_does_not_finish_in_time(env: Env) -> None:
    code, _, err = await podium(
        env, "run", "ingest", "--param", "uri=u", "--wait", "--timeout", "1.5"
    )
    assert code == 3 and "did not finish within 1.5s" in err


async def test_runs_list_show_and_cancel(env: Env) -> None:
    await simulate_run(env, "done-run")
    await env.emit("live-run", 100, RunStatus.RUNNING)

    async def listed() -> Any:
        code, out, _ = await podium(env, "runs", "list", "--json")
        runs = json.loads(out)["runs"] if code == 0 else []
        return runs if len(runs) == 2 else None

    runs = await wait_until(listed, timeout=30, what="both runs to be listed")
    assert [r["run_id"] for r in runs] == ["live-run", "done-run"]
    code, out, _ = await podium(env, "runs", "show", "done-run")
    assert code == 0 and "validate  SUCCEEDED  2" in out
    code, out, _ = await podium(env, "runs", "show", "done-run", "--json")
    assert json.loads(out)["steps"]["validate"]["output"] == {"rows": 3}
    code, _, err = await podium(env, "runs", "cancel", "done-run")
    assert code == 1 and "already finished" in err
    code, out, err = await podium(env, "runs", "cancel", "live-run")
    assert code == 0, err
    [record] = await env.records(env.topics.runs, 1)
    assert env.codec.decode_event(record.value, RunCancelRequested).run_id == "live-run"
    code, _, err = await podium(env, "runs", "show", "missing")
    assert code == 2 and "unknown run" in err


async def test_the_same_idempotency_key_with_other_params_exits_2_naming_both(env: Env) -> None:
    run_id = run_id_for("ingest", "k-used")
    await simulate_run(env, run_id)  # its params: {"uri": "u", "threshold": 5}
    same = await podium(env, "run", "ingest", "--param", "uri=u", "--idempotency-key", "k-used")
    assert same[0] == 0 and same[1].strip() == run_id
    code, _, err = await podium(
        env, "run", "ingest", "--param", "uri=other", "--idempotency-key", "k-used"
    )
    assert code == 2 and run_id in err and "new key" in err
    assert '"uri": "u"' in err and '"uri": "other"' in err
    assert await env.count(env.topics.runs) == 1  # the conflicting run was not requested
