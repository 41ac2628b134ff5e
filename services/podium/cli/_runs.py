"""`podium run` and `podium runs list | show | cancel`: runs from the command line.

These talk to Kafka directly (no API needed) through the same run client and
read model as the API. Exit status of `podium run --wait`: 0 the run
succeeded; 1 it failed, was cancelled or compensated (or Kafka failed);
2 bad input (unknown pipeline, bad params); 3 it did not finish in --timeout.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import click

from podium.cli._settings import settings_from
from podium.codec import Codec
from podium.contract import RunStatus, RunStatusChanged, TriggerSource
from podium.errors import ConfigError
from podium.pipelines import (
    PRIORITY_RANGE,
    Pipeline,
    check_params_size,
    parse_cli_params,
    resolve_params,
)
from podium.registry import PipelineRegistry, RegistryTopicMissingError, read_registry
from podium.runs import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    IdempotencyConflict,
    ReadModel,
    RunNotFoundError,
    RunView,
    cancel_run,
    check_approval,
    check_cancellable,
    decide,
    idempotency_conflict,
    open_producer,
    request_run,
    run_details,
    run_id_for,
    run_table,
    send_signal,
    summary_json,
    transition_line,
    view_json,
    with_pending_steps,
)
from podium.settings import PodiumSettings

EXIT_FAILED = 1
EXIT_TIMEOUT = 3
_STATUSES = [s.value.lower() for s in RunStatus if s is not RunStatus.UNKNOWN]


@dataclass(frozen=True)
class RunRequest:
    """What `podium run` was asked for."""

    pipeline: str
    version: int | None
    params: tuple[str, ...]
    idempotency_key: str | None
    wait: bool
    timeout: float | None
    same_as: str | None = None
    priority: int | None = None
    """None: 0, or the priority of the ``--same-as`` run."""


def exit_status(view: RunView) -> int:
    """0 only for a run that succeeded."""
    return 0 if view.status is RunStatus.SUCCEEDED else EXIT_FAILED


@click.command(name="run")
@click.argument("pipeline")
@click.option("--version", "version", type=click.IntRange(min=1), help="Pin a version.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A run param.")
@click.option("--idempotency-key", help="Same key, same run: a repeat starts nothing new.")
@click.option("--wait", is_flag=True, help="Follow the run live until it ends.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), help="Seconds to wait.")
@click.option(
    "--same-as",
    metavar="RUN_ID",
    help="A new run with the params (and version) of that run; --param and --version override.",
)
@click.option(
    "--priority",
    type=click.IntRange(PRIORITY_RANGE.start, PRIORITY_RANGE.stop - 1),
    help="Order among runs waiting under max_active_runs: higher first "
    "[default: 0, or the --same-as run's].",
)
@click.pass_context
def run(
    ctx: click.Context,
    pipeline: str,
    version: int | None,
    params: tuple[str, ...],
    idempotency_key: str | None,
    wait: bool,
    timeout: float | None,
    same_as: str | None,
    priority: int | None,
) -> None:
    """Start a run of PIPELINE and print its run id.

    Params are typed by the pipeline's declarations: --param threshold=3
    --param dry_run=true --param tags='["a","b"]'. With --wait, each step
    transition is printed as it happens; the exit status is 0 only if the run
    succeeded (1 failed/cancelled/compensated, 2 bad input, 3 timed out).
    Params larger than PODIUM_LIMITS__MAX_PARAMS_BYTES (as JSON) are refused (exit 2).
    With --same-as RUN_ID the run starts again as a new run (a new id, linked to the old
    one in `podium runs show`) on that run's pinned version, with its params and priority.
    --priority N orders the run among those waiting for a slot (max_active_runs); see
    docs/priorities.md.
    """
    request = RunRequest(
        pipeline, version, params, idempotency_key, wait, timeout, same_as, priority
    )
    sys.exit(asyncio.run(_run(settings_from(ctx), request, click.echo)))


async def _run(settings: PodiumSettings, request: RunRequest, echo: Callable[[str], None]) -> int:
    kwargs = settings.client_kwargs()
    copied: dict[str, Any] = {}
    if request.same_as is not None:
        copied, request = await _same_as(settings, request)
    async with PipelineRegistry(kwargs, settings.topics.pipelines, follow=False) as registry:
        pipeline = registry.get(request.pipeline, request.version)
    values = {**copied, **parse_cli_params(pipeline, request.params)}
    resolved = resolve_params(pipeline, values)  # bad input is reported before anything is sent
    check_params_size(resolved, settings.limits, field="params (--param)")
    run_id = run_id_for(pipeline.name, request.idempotency_key)
    if request.idempotency_key is not None:
        await _no_conflict(settings, request.idempotency_key, run_id, resolved)
    if not request.wait:
        await _request(settings, pipeline, values, request, run_id)
        echo(run_id)
        return 0
    return await _run_and_follow(settings, pipeline, values, request, run_id, echo)


async def _same_as(
    settings: PodiumSettings, request: RunRequest
) -> tuple[dict[str, Any], RunRequest]:
    """The params of the run ``--same-as`` names, and ``request`` with its version and
    priority (``--version`` and ``--priority`` win); ConfigError when it is unknown or of
    another pipeline."""
    run_id = request.same_as or ""
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        view = runs.get(run_id)
    if view is None:
        raise RunNotFoundError(run_id)
    if view.pipeline != request.pipeline:
        raise ConfigError(
            f"--same-as {run_id}: that run is of pipeline {view.pipeline!r}, not "
            f"{request.pipeline!r}; run `podium run {view.pipeline} --same-as {run_id}`"
        )
    version = request.version or view.version
    if version is None:
        raise ConfigError(f"--same-as {run_id}: its version is not known yet; pass --version")
    priority = view.priority if request.priority is None else request.priority
    return dict(view.params), replace(request, version=version, priority=priority)


async def _no_conflict(
    settings: PodiumSettings, key: str, run_id: str, params: dict[str, Any]
) -> None:
    """IdempotencyConflictError when ``key`` already named a run with other params (read
    from the run events: a run requested a moment ago may not be there yet, and then the
    coordinator dead-letters the conflicting request instead)."""
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        conflict = idempotency_conflict(runs.get(run_id), key, params)
    if conflict is not None:
        raise IdempotencyConflictError(conflict)


async def _request(
    settings: PodiumSettings,
    pipeline: Pipeline,
    values: dict[str, Any],
    request: RunRequest,
    run_id: str,
    codec: Codec | None = None,
) -> None:
    async with open_producer(settings.client_kwargs()) as producer:
        await request_run(
            producer,
            codec or Codec(),
            settings.topics,
            pipeline,
            values,
            idempotency_key=request.idempotency_key,
            source=TriggerSource.CLI,
            run_id=run_id,
            same_as=request.same_as,
            priority=request.priority or 0,
        )


async def _run_and_follow(
    settings: PodiumSettings,
    pipeline: Pipeline,
    values: dict[str, Any],
    request: RunRequest,
    run_id: str,
    echo: Callable[[str], None],
) -> int:
    """Read the run events first, then request: every transition of the run is seen."""
    codec = Codec()
    runs = ReadModel(settings.client_kwargs(), settings.topics.run_events, codec)
    runs.add_listener(_printer(run_id, echo))
    async with runs:
        echo(f"run {run_id} ({pipeline.key})")
        await _request(settings, pipeline, values, request, run_id, codec)
        try:
            view = await runs.wait_for(run_id, lambda v: v.finished, request.timeout)
        except TimeoutError:
            _timed_out(runs.get(run_id), run_id, request.timeout)
            return EXIT_TIMEOUT
    echo(f"run {run_id} {view.status.value}" + _took(view))
    return exit_status(view)


def _printer(run_id: str, echo: Callable[[str], None]) -> Callable[[RunStatusChanged], None]:
    def show(event: RunStatusChanged) -> None:
        if event.run_id == run_id and event.step is not None:
            echo(transition_line(event))

    return show


def _timed_out(view: RunView | None, run_id: str, timeout: float | None) -> None:
    status = view.status.value if view else "not started"
    message = f"run {run_id} did not finish within {timeout or 0:g}s (status: {status})"
    click.echo(f"error: {message}; it keeps running: `podium runs show {run_id}`", err=True)


def _took(view: RunView) -> str:
    if view.finished_at is None:
        return ""
    seconds = (view.finished_at - view.created_at).total_seconds()
    reason = f": {view.reason}" if view.reason else ""
    return f" in {seconds:.1f}s{reason}"


@click.group(name="runs")
def group() -> None:
    """Runs: list them, show one with its steps, cancel, re-run, pause or resume one.

    Answers come from the run events topic (podium.run.events), read from the
    beginning on each call; no API server is needed.
    """


@group.command(name="list")
@click.option("--pipeline", help="Only runs of this pipeline.")
@click.option("--status", type=click.Choice(_STATUSES, case_sensitive=False), help="Only these.")
@click.option(
    "--limit", type=click.IntRange(1, MAX_LIMIT), default=DEFAULT_LIMIT, show_default=True
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.pass_context
def list_runs(
    ctx: click.Context, pipeline: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """List runs, newest first."""
    wanted = RunStatus(status.upper()) if status else None
    views = asyncio.run(_list(settings_from(ctx), pipeline, wanted, limit))
    if as_json:
        click.echo(json.dumps({"runs": [summary_json(v) for v in views]}, indent=2))
    else:
        _echo_lines(run_table(views) if views else ["no runs"])


async def _list(
    settings: PodiumSettings, pipeline: str | None, status: RunStatus | None, limit: int
) -> list[RunView]:
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        return runs.list(pipeline, status, limit)


@group.command(name="show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="JSON (as GET /v1/runs/ID) instead.")
@click.pass_context
def show(ctx: click.Context, run_id: str, as_json: bool) -> None:
    """Show one run: status, params, and each step's status, attempts, duration, error."""
    view = asyncio.run(_show(settings_from(ctx), run_id))
    if as_json:
        click.echo(json.dumps(view_json(view), indent=2))
    else:
        _echo_lines(run_details(view))


async def _show(settings: PodiumSettings, run_id: str) -> RunView:
    async with ReadModel(settings.client_kwargs(), settings.topics.run_events) as runs:
        view = runs.get(run_id)
    if view is None:
        raise RunNotFoundError(run_id)
    return with_pending_steps(view, await _declared_steps(settings, view))


async def _declared_steps(settings: PodiumSettings, view: RunView) -> Sequence[str]:
    """The run's pipeline's steps in definition order; none when it cannot be read."""
    pipeline = await _pipeline_of(settings, view)
    return [step.name for step in pipeline.steps] if pipeline else ()


@group.command(name="cancel")
@click.argument("run_id")
@click.option("--reason", default="cancelled from the command line", show_default=True)
@click.pass_context
def cancel(ctx: click.Context, run_id: str, reason: str) -> None:
    """Cancel a run: pending steps are cancelled, running ones are told to stop."""
    asyncio.run(_cancel(settings_from(ctx), run_id, reason))
    click.echo(f"cancel requested for run {run_id}")


async def _cancel(settings: PodiumSettings, run_id: str, reason: str) -> None:
    kwargs = settings.client_kwargs()
    async with ReadModel(kwargs, settings.topics.run_events) as runs:
        check_cancellable(runs.get(run_id), run_id)
    async with open_producer(kwargs) as producer:
        await cancel_run(
            producer, Codec(), settings.topics, run_id, reason=reason, requested_by="cli"
        )


def _decision_command(approve: bool) -> Any:
    verb = "approve" if approve else "reject"
    about = (
        f"{verb.capitalize()} the approval step STEP of run RUN_ID; who and why are recorded "
        "on the step (`podium runs show`)."
    )

    @group.command(name=verb, help=about)
    @click.argument("run_id")
    @click.argument("step")
    @click.option("--comment", default="", help="Why: recorded with the decision.")
    @click.option("--by", default=None, help="Who decides (default: $USER).")
    @click.pass_context
    def command(ctx: click.Context, run_id: str, step: str, comment: str, by: str | None) -> None:
        who = by or os.environ.get("USER") or "cli"
        asyncio.run(_decide(settings_from(ctx), run_id, step, approve, comment, who))
        click.echo(f"{verb}d step {step} of run {run_id} (by {who})")

    return command


approve_command = _decision_command(True)
reject_command = _decision_command(False)


async def _decide(
    settings: PodiumSettings, run_id: str, step: str, approve: bool, comment: str, by: str
) -> None:
    kwargs = settings.client_kwargs()
    async with ReadModel(kwargs, settings.topics.run_events) as runs:
        view = runs.get(run_id)
    pipeline = await _pipeline_of(settings, view)
    check_approval(view, run_id, pipeline, step)
    async with open_producer(kwargs) as producer:
        await decide(
            producer,
            Codec(),
            settings.topics,
            run_id,
            step,
            approve=approve,
            comment=comment,
            by=by,
        )


async def _pipeline_of(settings: PodiumSettings, view: RunView | None) -> Pipeline | None:
    if view is None:
        return None
    try:
        published = await read_registry(settings.client_kwargs(), settings.topics.pipelines)
    except RegistryTopicMissingError:
        return None
    entry = published.get(f"{view.pipeline}@{view.version}")
    return entry.pipeline if entry else None


@group.command(name="signal")
@click.argument("run_id")
@click.argument("name")
@click.option("--data", "data", default="{}", show_default=True, help="A JSON object.")
@click.option("--by", default=None, help="Who sends it (default: $USER).")
@click.pass_context
def signal(ctx: click.Context, run_id: str, name: str, data: str, by: str | None) -> None:
    """Send the signal NAME to run RUN_ID: its `kind: signal` step takes --data as output."""
    payload = _json_object(data, "--data")
    who = by or os.environ.get("USER") or "cli"
    asyncio.run(_signal(settings_from(ctx), run_id, name, payload, who))
    click.echo(f"signal {name} sent to run {run_id}")


def _json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=option) from exc
    if not isinstance(value, dict):
        raise click.BadParameter('expected a JSON object, such as {"ok": true}', param_hint=option)
    return value


async def _signal(
    settings: PodiumSettings, run_id: str, name: str, payload: dict[str, Any], by: str
) -> None:
    kwargs = settings.client_kwargs()
    async with ReadModel(kwargs, settings.topics.run_events) as runs:
        check_cancellable(runs.get(run_id), run_id)
    async with open_producer(kwargs) as producer:
        await send_signal(producer, Codec(), settings.topics, run_id, name, payload, sent_by=by)


def _echo_lines(lines: Sequence[str]) -> None:
    for line in lines:
        click.echo(line)


class IdempotencyConflictError(ConfigError):
    """The same idempotency key was used for a run with other params (exit 2, like other
    input the CLI refuses before sending anything)."""

    def __init__(self, conflict: IdempotencyConflict) -> None:
        super().__init__(
            f"{conflict.message()}; run {conflict.run_id} has params "
            f"{json.dumps(conflict.stored, sort_keys=True)}, "
            f"given {json.dumps(conflict.given, sort_keys=True)}"
        )
