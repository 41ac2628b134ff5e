"""Pipeline pause and rate limits end to end, against a real coordinator and step service
over the test broker.

Pause: `podium pipelines pause` on a capped and an uncapped pipeline; their new runs wait
QUEUED (no step requested), `podium pipelines resume` admits them and they all succeed. The
runs' events are on one partition per run, in decision order, so "no step was requested
before the resume" is read off the run-level RUNNING event's time against the resume's.

Rate limit: runs started at once under ``rate_limit: {runs_per_second: 4, burst: 2}`` are
admitted two at once, then one per 250 ms, read off their RUNNING events' times (with a
tolerance for the delivery of each admission to its run's partition).
"""

from __future__ import annotations

import json
import signal
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from podium import contract as wire
from podium.testing import wait_until, wait_until_sync
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

TIMEOUT = 60.0


def _cli_ok(stack: Stack, *args: str) -> str:
    done = stack.cli(*args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _listed(stack: Stack) -> dict[str, Any]:
    return {
        p["name"]: p
        for p in json.loads(
            _cli_ok(stack, "pipelines", "list", "--json", "--topic", stack.topics.pipelines)
        )
    }


def _run_level(seen: RunEvents, run_id: str, status: str) -> list[wire.RunStatusChanged]:
    return [e for e in seen.of(run_id) if e.step is None and str(e.status) == status]


def _admitted_at(seen: RunEvents, run_id: str) -> datetime:
    return _run_level(seen, run_id, "RUNNING")[0].changed_at


async def test_a_paused_pipelines_new_runs_wait_queued_until_it_is_resumed(stack: Stack) -> None:
    p = stack.prefix
    capped = pipeline(p, step(p, "work"), name=f"capped-{p}", max_active_runs=1)
    uncapped = pipeline(p, step(p, "work"), name=f"open-{p}")
    await stack.publish(capped, uncapped)
    for name in (capped.name, uncapped.name):
        _cli_ok(stack, "pipelines", "pause", name, "--reason", "warehouse down", "--by", "sre")

    def both_paused() -> bool:
        listed = _listed(stack)
        return all(listed[n]["paused"] is not None for n in (capped.name, uncapped.name))

    wait_until_sync(both_paused, timeout=TIMEOUT, interval=0.5, what="both shown paused")
    assert _listed(stack)[capped.name]["paused"]["by"] == "sre"
    again = stack.cli("pipelines", "pause", capped.name)
    assert again.returncode == 1 and "already paused" in again.stderr
    unknown = stack.cli("pipelines", "pause", f"nope-{p}")
    assert unknown.returncode == 2 and f"nope-{p}" in unknown.stderr

    async with EventWatcher(stack) as watcher:
        runs = [await stack.request_run(n) for n in (capped.name, capped.name, uncapped.name)]
        runs.append(await stack.request_run(uncapped.name))
        seen = await watcher.until(
            lambda s: all(_run_level(s, run, "QUEUED") for run in runs),
            timeout=TIMEOUT,
            what="all four queued",
        )
        shown = json.loads(_cli_ok(stack, "runs", "show", runs[2], "--json"))
        assert shown["status"] == "QUEUED" and "pipeline paused" in shown["queued_for"]
        for run in runs:
            assert json.loads(_run_level(seen, run, "QUEUED")[0].detail_json)["pipeline_paused"]
        resumed_at = datetime.now(UTC)
        for name in (capped.name, uncapped.name):
            _cli_ok(stack, "pipelines", "resume", name, "--by", "sre")
        seen = await watcher.until(
            lambda s: all(s.terminal(run) for run in runs), timeout=TIMEOUT, what="all succeed"
        )
    assert all(seen.terminal(run) == [wire.RunStatus.SUCCEEDED] for run in runs)
    slack = timedelta(seconds=1)  # the CLI's clock and the coordinator's: one machine
    for run in runs:
        assert _admitted_at(seen, run) > resumed_at - slack, run
        events = seen.of(run)
        first_step = next(i for i, e in enumerate(events) if e.step is not None)
        admitted = next(i for i, e in enumerate(events) if e.step is None and e.status == "RUNNING")
        assert admitted < first_step  # no step before its admission, which came on the resume
    wait_until_sync(
        lambda: _listed(stack)[capped.name]["paused"] is None,
        timeout=TIMEOUT,
        interval=0.5,
        what="shown resumed",
    )


async def test_runs_of_a_rate_limited_pipeline_are_admitted_at_its_rate(stack: Stack) -> None:
    p = stack.prefix
    limited = pipeline(
        p, step(p, "work"), name=f"rate-{p}", rate_limit={"runs_per_second": 4, "burst": 2}
    )
    await stack.publish(limited)
    async with EventWatcher(stack) as watcher:
        runs = [await stack.request_run(limited.name) for _ in range(6)]
        seen = await watcher.until(
            lambda s: all(s.terminal(run) for run in runs), timeout=TIMEOUT, what="all succeed"
        )
    assert all(seen.terminal(run) == [wire.RunStatus.SUCCEEDED] for run in runs)
    times = sorted(_admitted_at(seen, run) for run in runs)
    first = times[0]
    tolerance = timedelta(milliseconds=150)
    for i, at in enumerate(times):
        earliest = first + timedelta(milliseconds=250) * max(0, i - 1)
        assert at >= earliest - tolerance, (i, [t - first for t in times])
    assert times[-1] - first < timedelta(seconds=4)  # 1 s at the rate, with room to spare
    assert times[-1] - first >= timedelta(milliseconds=1000) - tolerance


async def test_a_pause_outlives_a_coordinator_restart(own_stack: Stack) -> None:
    """The paused set is read back from Kafka (the registry's ``paused:NAME`` and the
    admissions table's changelog), not kept in memory: after a SIGKILL and a restart, a new
    run of the paused (uncapped) pipeline still waits, and the resume admits it."""
    stack = own_stack
    p = stack.prefix
    uncapped = pipeline(p, step(p, "work"), name=f"restart-{p}")
    await stack.publish(uncapped)
    stack.start_coordinator()
    stack.start_service("worker", "tests.integration.e2e.services:worker")
    _cli_ok(stack, "pipelines", "pause", uncapped.name, "--by", "sre")
    wait_until_sync(
        lambda: _listed(stack)[uncapped.name]["paused"] is not None,
        timeout=TIMEOUT,
        interval=0.5,
        what="shown paused",
    )
    stack.kill("coordinator", signal.SIGKILL)
    stack.start_coordinator("coordinator-restarted")
    async with EventWatcher(stack) as watcher:
        run = await stack.request_run(uncapped.name)
        seen = await watcher.until(
            lambda s: bool(_run_level(s, run, "QUEUED")), timeout=TIMEOUT, what="it queues"
        )
        assert json.loads(_run_level(seen, run, "QUEUED")[0].detail_json)["pipeline_paused"]
        _cli_ok(stack, "pipelines", "resume", uncapped.name)
        seen = await watcher.until(
            lambda s: bool(s.terminal(run)), timeout=TIMEOUT, what="it runs once resumed"
        )
    assert seen.terminal(run) == [wire.RunStatus.SUCCEEDED]


async def test_the_api_pauses_and_resumes_a_pipeline(stack: Stack) -> None:
    """``POST /v1/pipelines/{name}/pause|resume`` through ``podium api``: 404 and 409 as JSON,
    ``GET /v1/pipelines`` shows the pause once the coordinator applied it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack.start("api-pipelines", "api", "--port", str(port))
    base = f"http://127.0.0.1:{port}/v1/pipelines"
    p = stack.prefix
    definition = pipeline(p, step(p, "work"), name=f"api-{p}")
    await stack.publish(definition)
    async with aiohttp.ClientSession() as http:

        async def paused() -> Any:
            async def answer() -> Any:
                try:
                    async with http.get(base) as got:
                        body = await got.json() if got.status == 200 else {}
                except aiohttp.ClientError:  # the API is still starting
                    return None
                found = [e for e in body.get("pipelines", []) if e["name"] == definition.name]
                return found[0] if found else None

            return await wait_until(answer, timeout=TIMEOUT, what="the API lists it")

        await paused()
        async with http.post(f"{base}/nope-{p}/pause", json={}) as unknown:
            assert unknown.status == 404
            assert (await unknown.json())["error"]["field"] == "pipeline"
        async with http.post(f"{base}/{definition.name}/resume", json={}) as refused:
            assert refused.status == 409
            assert "not paused" in (await refused.json())["error"]["message"]
        body = {"reason": "maintenance", "by": "sre"}
        async with http.post(f"{base}/{definition.name}/pause", json=body) as accepted:
            assert accepted.status == 202, await accepted.text()

        async def shown_paused() -> Any:
            entry = await paused()
            return entry["paused"]

        shown = await wait_until(shown_paused, timeout=TIMEOUT, what="shown paused")
        assert (shown["by"], shown["reason"]) == ("sre", "maintenance") and shown["at"]
        async with http.post(f"{base}/{definition.name}/pause", json={}) as again:
            assert again.status == 409
            assert "already paused" in (await again.json())["error"]["message"]
        async with http.post(f"{base}/{definition.name}/resume", json={}) as resumed:
            assert resumed.status == 202
