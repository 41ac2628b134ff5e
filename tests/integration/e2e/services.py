"""Scripted step services for end-to-end tests; behaviour comes from the step's input.

Input keys: ``fail_attempts`` (raise on attempts <= n), ``fatal`` (raise a
non-retryable error), ``poison`` (raise PoisonMessage), ``sleep_s`` (every attempt),
``sleep_first_s`` (attempt 1 only, to miss a deadline), ``heartbeats`` /
``heartbeat_every_s`` (work that long, sending heartbeats), ``output`` (what to
return), ``output_bytes`` (return a blob of about that size), ``echo_upstream``
(return the dependencies' outputs it got).
Every execution is appended to ``$PODIUM_HOME/executions.log`` so tests can count
them, and every execution stopped by a cancel (``asyncio.CancelledError``) to
``cancelled.log``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from podium.service import NonRetryableError, PoisonMessage, Service, StepContext, StepError

PREFIX = os.environ.get("PODIUM_TEST_PREFIX", "e2e")
RESULTS = os.environ.get("PODIUM_TOPICS__STEP_RESULTS", "podium.step.results")
EXECUTIONS = Path(os.environ.get("PODIUM_HOME", ".")) / "executions.log"
CANCELLED = EXECUTIONS.with_name("cancelled.log")

worker = Service(
    "worker",
    request_topic=f"{PREFIX}.steps.worker",
    results_topic=RESULTS,
    group_id=f"{PREFIX}-worker",
)


def _record(ctx: StepContext, path: Path = EXECUTIONS) -> None:
    with path.open("a") as log:
        log.write(f"{ctx.run_id} {ctx.step} {ctx.attempt}\n")


@worker.default
async def scripted(input: Any, ctx: StepContext) -> Any:
    _record(ctx)
    try:
        return await _follow(input if isinstance(input, dict) else {}, ctx)
    except asyncio.CancelledError:
        _record(ctx, CANCELLED)
        raise


async def _follow(script: dict[str, Any], ctx: StepContext) -> Any:
    if ctx.attempt == 1 and script.get("sleep_first_s"):
        await asyncio.sleep(float(script["sleep_first_s"]))
    if script.get("sleep_s"):
        await asyncio.sleep(float(script["sleep_s"]))
    if script.get("use_secret"):
        return _use_secret(str(script["use_secret"]), ctx)
    if script.get("extend_s"):  # one heartbeat asking for more time than the timeout
        await ctx.heartbeat(extend=float(script["extend_s"]))
        await asyncio.sleep(float(script.get("work_s", 0)))
    if ctx.attempt == 1 and script.get("retry_after_s"):  # a rate limit with its reset
        raise StepError("rate limited", retry_after=float(script["retry_after_s"]))
    for _ in range(int(script.get("heartbeats", 0))):  # a long step that says it is alive
        await asyncio.sleep(float(script.get("heartbeat_every_s", 0.5)))
        await ctx.heartbeat()
    if script.get("fatal"):
        raise NonRetryableError(f"{ctx.step} cannot succeed")
    if script.get("poison"):  # the request itself is unusable: dead-lettered, step failed
        raise PoisonMessage(f"{ctx.step}: unusable request")
    _fail_item(script)
    if ctx.attempt <= int(script.get("fail_attempts", 0)):
        raise RuntimeError(f"{ctx.step} failed on attempt {ctx.attempt}")
    return _output(script, ctx)


def _fail_item(script: dict[str, Any]) -> None:
    """A map item listed in ``fail_items`` cannot succeed."""
    if script.get("index") in script.get("fail_items", ()):
        raise NonRetryableError(f"item {script['index']} cannot succeed")


def _output(script: dict[str, Any], ctx: StepContext) -> Any:
    if script.get("echo_upstream"):  # what the step received from the steps before it
        return dict(ctx.upstream)
    if script.get("echo_item"):  # a map item: {"item", "index"} from its input
        return {"item": script.get("item"), "index": script.get("index")}
    if script.get("output_bytes"):  # a large result: {"blob": "xxx..."} of about that size
        return {"blob": "x" * int(script["output_bytes"])}
    return script.get("output", {"step": ctx.step, "attempt": ctx.attempt})


def _use_secret(name: str, ctx: StepContext) -> Any:
    """Logs the secret, fails once with it in the message, then returns it."""
    value = ctx.secret(name)
    ctx.logger.info("connecting to the database with password %s", value)
    if ctx.attempt == 1:
        raise RuntimeError(f"login refused for password {value}")
    return {"connected_with": value}


@worker.compensation()
async def undo(input: Any, ctx: StepContext) -> Any:
    _record(ctx)
    return {"undone": ctx.step}


def executions(home: Path, log: str = "executions.log") -> list[tuple[str, str, int]]:
    """(run, step, attempt) of every execution (``log="cancelled.log"``: every cancelled one)."""
    path = home / log
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(run, step, int(attempt)) for run, step, attempt in rows]
