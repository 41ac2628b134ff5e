"""Run control end to end: re-run, `--same-as`, pause and resume through the CLI, against a
real coordinator and step service over the test broker.

The run's events are all on one partition (keyed by run id), in the order the coordinator
made its decisions: "nothing was requested while paused" is read off that order (every
request of a step after the pause comes after the resume), not off a wait.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import aiohttp

from podium.contract import RunStatusChanged
from podium.testing import wait_until
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.services import executions
from tests.integration.e2e.stack import EventWatcher, RunEvents, Stack

TIMEOUT = 60.0


async def _until(stack: Stack, what: str, condition: Any) -> RunEvents:
    async with EventWatcher(stack) as watcher:
        return await watcher.until(condition, timeout=TIMEOUT, what=what)


async def _ends(stack: Stack, run_id: str, times: int = 1) -> RunEvents:
    """The run's events once it has finished ``times`` times (a re-run finishes again)."""
    return await _until(
        stack, f"{run_id} finishes {times}x", lambda seen: len(seen.terminal(run_id)) >= times
    )


def _ran(stack: Stack, run_id: str) -> list[tuple[str, int]]:
    return [(row[1], int(row[2])) for row in executions(stack.home) if row[0] == run_id]


def _cli_ok(stack: Stack, *args: str) -> str:
    done = stack.cli(*args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _output(event: RunStatusChanged) -> Any:
    return json.loads(event.output_json or "null")


def _run_event(seen: RunEvents, run_id: str, key: str) -> list[int]:
    """Where in the run's events its run-level events with ``key`` in their detail are."""
    return [
        i
        for i, e in enumerate(seen.of(run_id))
        if e.step is None and key in json.loads(e.detail_json or "{}")
    ]


def _requested(seen: RunEvents, run_id: str, name: str) -> list[tuple[int, int]]:
    """(position in the run's events, attempt) of each request of step ``name``."""
    return [
        (i, e.attempt or 0)
        for i, e in enumerate(seen.of(run_id))
        if e.step == name and str(e.step_status) == "RUNNING"
    ]


def flaky_load(stack: Stack, name: str, version: int = 1, **load: Any) -> Any:
    """extract -> load (fails its 3 attempts unless told otherwise) -> report."""
    p = stack.prefix
    return pipeline(
        p,
        step(p, "extract", input={"output": {"rows": 3}}),
        step(p, "load", after=["extract"], input=load or {"fail_attempts": 3}),
        step(p, "report", after=["load"], input={"echo_upstream": True}),
        name=f"{name}-{p}",
        version=version,
    )


async def test_a_failed_run_is_retried_from_its_failed_step_keeping_what_went_well(
    stack: Stack,
) -> None:
    definition = flaky_load(stack, "retried")
    await stack.publish(definition)
    run_id = await stack.request_run(definition.name)
    seen = await _ends(stack, run_id)
    assert seen.terminal(run_id) == ["FAILED"]

    said = _cli_ok(stack, "runs", "retry", run_id, "--reason", "disk freed", "--by", "ann")
    assert f"re-run requested for run {run_id} from its failed steps (by ann)" in said
    seen = await _ends(stack, run_id, 2)
    assert seen.terminal(run_id) == ["FAILED", "SUCCEEDED"]
    # extract kept its output and ran once; load's attempts went on counting (4th ran)
    assert _ran(stack, run_id) == [("extract", 1), ("load", 1), ("load", 2), ("load", 3),
                                   ("load", 4), ("report", 1)]  # fmt: skip
    [report] = [e for e in seen.step_events(run_id, "report") if e.output_json]
    assert _output(report)["load"] == {"step": "load", "attempt": 4}

    shown = _cli_ok(stack, "runs", "show", run_id)
    assert "re-run    #1 by ann" in shown and "reset load, report; was FAILED" in shown
    assert "disk freed" in shown
    as_json = json.loads(_cli_ok(stack, "runs", "show", run_id, "--json"))
    assert as_json["status"] == "SUCCEEDED"
    assert [(r["number"], r["by"], r["steps"]) for r in as_json["reruns"]] == [
        (1, "ann", ["load", "report"])
    ]

    refused = stack.cli("runs", "retry", run_id)  # it succeeded: nothing failed
    assert refused.returncode == 1 and "nothing failed; name a step" in refused.stderr
    _cli_ok(stack, "runs", "retry", run_id, "--from", "extract")
    seen = await _ends(stack, run_id, 3)
    assert seen.terminal(run_id)[-1] == "SUCCEEDED"
    assert _ran(stack, run_id)[-3:] == [("extract", 2), ("load", 5), ("report", 2)]


async def test_a_rerun_stays_on_its_pinned_version_unless_asked(stack: Stack) -> None:
    v1 = flaky_load(stack, "pinned", 1, fatal=True)
    await stack.publish(v1)
    run_id = await stack.request_run(v1.name)
    assert (await _ends(stack, run_id)).terminal(run_id) == ["FAILED"]
    await stack.publish(flaky_load(stack, "pinned", 2, fatal=False))

    _cli_ok(stack, "runs", "retry", run_id)  # on v1 still: fails the same way
    seen = await _ends(stack, run_id, 2)
    assert seen.terminal(run_id) == ["FAILED", "FAILED"]
    assert {e.pipeline_version for e in seen.of(run_id)} == {"1"}

    _cli_ok(stack, "runs", "retry", run_id, "--version", "latest")
    seen = await _ends(stack, run_id, 3)
    assert seen.terminal(run_id) == ["FAILED", "FAILED", "SUCCEEDED"]
    [moved] = [e for e in seen.of(run_id) if e.step is None and "rerun" in (e.detail_json or "")][
        -1:
    ]
    assert moved.pipeline_version == "2"
    assert json.loads(moved.detail_json or "{}")["rerun"]["from_version"] == 1
    assert "moved from v1" in _cli_ok(stack, "runs", "show", run_id)


async def test_run_same_as_starts_a_new_linked_run_with_the_same_params(stack: Stack) -> None:
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "only", input={"echo_upstream": True}),
        params={"day": {"type": "string"}, "limit": {"type": "integer", "default": 5}},
    )
    await stack.publish(definition)
    first = await stack.request_run(definition.name, {"day": "2026-12-07", "limit": 9}, priority=7)
    await _ends(stack, first)
    again = _cli_ok(stack, "run", definition.name, "--same-as", first, "--wait").splitlines()
    second = again[0].split()[1]
    assert second != first and again[-1].startswith(f"run {second} SUCCEEDED")
    as_json = json.loads(_cli_ok(stack, "runs", "show", second, "--json"))
    assert as_json["params"] == {"day": "2026-12-07", "limit": 9}
    assert as_json["priority"] == 7  # copied, as the params are
    assert as_json["trigger"]["name"] == "same-as" and as_json["trigger"]["reference"] == first
    assert f"same as   {first}" in _cli_ok(stack, "runs", "show", second)
    other = stack.cli("run", "not-that-one", "--same-as", first)
    assert other.returncode == 2 and f"that run is of pipeline {definition.name!r}" in other.stderr


async def test_a_paused_run_requests_nothing_until_resumed(stack: Stack) -> None:
    """``slow`` runs while the run is paused and its result is kept; ``flaky`` fails its
    first attempt while paused and its retry waits; ``next`` is requested only after the
    resume, as is flaky's second attempt."""
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "slow", input={"sleep_s": 5}),
        step(p, "flaky", input={"sleep_first_s": 5, "fail_attempts": 1}),
        step(p, "next", after=["slow"]),
    )
    await stack.publish(definition)
    run_id = await stack.request_run(definition.name)
    await _until(
        stack, "both running", lambda seen: "RUNNING" in seen.step_statuses(run_id, "flaky")
    )
    refused = stack.cli("runs", "resume", run_id)
    assert refused.returncode == 1 and "it is not paused" in refused.stderr
    _cli_ok(stack, "runs", "pause", run_id, "--reason", "downstream maintenance", "--by", "sre")

    def paused_and_both_back(seen: RunEvents) -> bool:
        return (
            "SUCCEEDED" in seen.step_statuses(run_id, "slow")
            and "RETRY_WAIT" in seen.step_statuses(run_id, "flaky")
            and bool(_run_event(seen, run_id, "paused"))
        )

    seen = await _until(stack, "slow done, flaky waiting, while paused", paused_and_both_back)
    assert str(seen.run_status(run_id)) == "PAUSED"
    shown = _cli_ok(stack, "runs", "show", run_id)
    assert "status    PAUSED" in shown and "paused    by sre" in shown
    assert "downstream maintenance" in shown
    _cli_ok(stack, "runs", "resume", run_id, "--by", "sre")
    seen = await _ends(stack, run_id)
    assert seen.terminal(run_id) == ["SUCCEEDED"]

    [paused_at] = _run_event(seen, run_id, "paused")
    [resumed_at] = _run_event(seen, run_id, "resumed")
    events = seen.of(run_id)
    slow_done = [i for i, e in enumerate(events) if e.step == "slow" and e.output_json]
    assert paused_at < slow_done[0] < resumed_at  # its result came, and was kept, while paused
    [(next_at, _)] = _requested(seen, run_id, "next")
    assert next_at > resumed_at
    assert [a for i, a in _requested(seen, run_id, "flaky") if i > resumed_at] == [2]
    assert [a for i, a in _requested(seen, run_id, "flaky") if i < resumed_at] == [1]
    assert [e.status for e in events[paused_at:resumed_at]] == ["PAUSED"] * (resumed_at - paused_at)


async def test_the_api_retries_pauses_and_resumes_runs(stack: Stack) -> None:
    """The same through ``podium api``: a failed run retried by POST, a running one paused
    and resumed by POST, each refusal a 409 with a JSON error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stack.start("api-control", "api", "--port", str(port))
    base = f"http://127.0.0.1:{port}/v1/runs"
    p = stack.prefix
    definition = pipeline(
        p,
        step(p, "slow", input={"sleep_s": 4}),
        step(p, "load", after=["slow"], input={"fail_attempts": 3}),
        name=f"api-control-{p}",
    )
    await stack.publish(definition)
    run_id = await stack.request_run(definition.name)
    async with aiohttp.ClientSession() as http:

        async def shown(status: str) -> dict[str, Any]:
            async def answer() -> dict[str, Any] | None:
                try:
                    async with http.get(f"{base}/{run_id}") as got:
                        body: dict[str, Any] = await got.json() if got.status == 200 else {}
                except aiohttp.ClientError:  # the API is still starting
                    return None
                return body if body.get("status") == status else None

            return await wait_until(answer, timeout=TIMEOUT, what=f"the API shows {status}")

        await shown("RUNNING")
        async with http.post(f"{base}/{run_id}/retry", json={}) as refused:
            assert refused.status == 409
            assert "only a finished run" in (await refused.json())["error"]["message"]
        async with http.post(f"{base}/{run_id}/pause", json={"by": "sre"}) as paused:
            assert paused.status == 202, await paused.text()
        assert (await shown("PAUSED"))["paused"]["by"] == "sre"
        async with http.post(f"{base}/{run_id}/resume", json={}) as resumed:
            assert resumed.status == 202
        await shown("FAILED")  # load fails its three attempts
        body = {"reason": "fixed", "by": "ann"}
        async with http.post(f"{base}/{run_id}/retry", json=body) as retried:
            assert retried.status == 202
            assert (await retried.json())["action"] == "retry"
        done = await shown("SUCCEEDED")
    assert [(r["by"], r["steps"], r["was"]) for r in done["reruns"]] == [
        ("ann", ["load"], "FAILED")
    ]
    assert done["steps"]["load"]["attempt"] == 4
    assert ("slow", 1) in _ran(stack, run_id) and ("slow", 2) not in _ran(stack, run_id)
