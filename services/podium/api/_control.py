"""Run control over HTTP: ``POST /v1/runs/{id}/retry``, ``/pause`` and ``/resume``.

Each checks the run against the read model, then produces one ``RunControlRequested`` (see
``podium.runs.control_run``), which the coordinator applies; 202 once the cluster has it.

    POST /v1/runs/{id}/retry   {"from_step"?, "version"? (a number or "latest"), "reason"?,
                                "by"?}; 202; 404 unknown run; 409 not finished (or
                                succeeded with no from_step); 400 a bad field or unknown step
    POST /v1/runs/{id}/pause   {"reason"?, "by"?}; 202; 404; 409 not running
    POST /v1/runs/{id}/resume  {"reason"?, "by"?}; 202; 404; 409 not paused
    POST /v1/pipelines/{name}/pause   {"reason"?, "by"?}; 202; 404 unknown pipeline;
                                      409 already paused
    POST /v1/pipelines/{name}/resume  {"reason"?, "by"?}; 202; 404; 409 not paused

A pipeline's pause or resume is checked against the registry and produced as one
``PipelineControlRequested`` on the admissions topic (``podium.registry.control_pipeline``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from podium.api._errors import ApiError
from podium.api._input import json_object
from podium.api._waits import MAX_TEXT, pipeline_of, refusals, sent
from podium.contract import RunControlAction
from podium.registry import (
    PipelineStateError,
    UnknownPipelineError,
    check_pipeline_control,
    control_pipeline,
)
from podium.runs import RunStateError, check_pausable, check_resumable, check_retryable
from podium.runs import control_run as send_control

RETRY_FIELDS = ("from_step", "version", "reason", "by")
PAUSE_FIELDS = ("reason", "by")


def add_control_routes(
    app: web.Application, services: Any, trace: Callable[[web.Request], Any]
) -> None:
    async def retry(request: web.Request) -> web.Response:
        body = json_object(await request.read(), RETRY_FIELDS)
        run_id = request.match_info["run_id"]
        from_step, version = _optional(body, "from_step"), _version(body)
        view = services.runs.get(run_id)
        with _refused():
            check_retryable(view, run_id, from_step, pipeline_of(services, view))
        extra = {"from_step": from_step, "version": version}
        return await _send(request, services, trace, RunControlAction.RETRY, body, extra)

    def holding(action: RunControlAction, check: Callable[[Any, str], Any]) -> Any:
        """The handler of a pause or a resume: the run's status checked, then sent."""

        async def handle(request: web.Request) -> web.Response:
            body = json_object(await request.read(), PAUSE_FIELDS)
            run_id = request.match_info["run_id"]
            with _refused():
                check(services.runs.get(run_id), run_id)
            return await _send(request, services, trace, action, body, {})

        return handle

    pause = holding(RunControlAction.PAUSE, check_pausable)
    resume = holding(RunControlAction.RESUME, check_resumable)

    app.router.add_post("/v1/runs/{run_id}/retry", retry)
    app.router.add_post("/v1/runs/{run_id}/pause", pause)
    app.router.add_post("/v1/runs/{run_id}/resume", resume)
    add_pipeline_routes(app, services)


def add_pipeline_routes(app: web.Application, services: Any) -> None:
    def control(action: RunControlAction) -> Any:
        async def handle(request: web.Request) -> web.Response:
            body = json_object(await request.read(), PAUSE_FIELDS)
            name = request.match_info["name"]
            reason, by = _optional(body, "reason"), _optional(body, "by") or "api"
            with _pipeline_refused():
                check_pipeline_control(services.pipelines, name, action)
            topic = services.topics.admissions
            await sent(
                control_pipeline(services.producer, services.codec, topic, name, action,
                                 reason=reason, requested_by=by)
            )  # fmt: skip
            answer = {"pipeline": name, "action": action.value.lower(), "by": by}
            return web.json_response(answer, status=202)

        return handle

    app.router.add_post("/v1/pipelines/{name}/pause", control(RunControlAction.PAUSE))
    app.router.add_post("/v1/pipelines/{name}/resume", control(RunControlAction.RESUME))


@contextmanager
def _pipeline_refused() -> Iterator[None]:
    """An unknown pipeline is 404, a pause of a paused one (a resume of a running one) 409."""
    try:
        yield
    except UnknownPipelineError as exc:
        raise ApiError(404, str(exc), "pipeline") from exc
    except PipelineStateError as exc:
        raise ApiError(409, str(exc), "pipeline") from exc


async def _send(
    request: web.Request,
    services: Any,
    trace: Callable[[web.Request], Any],
    action: RunControlAction,
    body: dict[str, Any],
    extra: dict[str, str | None],
) -> web.Response:
    run_id = request.match_info["run_id"]
    reason, by = _optional(body, "reason"), _optional(body, "by") or "api"
    await sent(
        send_control(services.producer, services.codec, services.topics, run_id, action,
                     from_step=extra.get("from_step"), pipeline_version=extra.get("version"),
                     reason=reason, requested_by=by, trace=trace(request))
    )  # fmt: skip
    answer = {"run_id": run_id, "action": action.value.lower(), "by": by, **extra}
    return web.json_response(answer, status=202)


def _refused() -> Any:
    """The run client's refusals as HTTP answers: a status that does not allow it is 409,
    a step the run does not have is 400 (it names the field)."""
    return refusals(state_error=RunStateError, step_status=400, step_field="from_step")


def _optional(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "expected a string", name)
    if len(value) > MAX_TEXT:
        raise ApiError(400, f"at most {MAX_TEXT} characters", name)
    return value or None


def _version(body: dict[str, Any]) -> str | None:
    value = body.get("version")
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return str(value)
    if value == "latest":
        return "latest"
    raise ApiError(400, "expected a version number (1 or more) or 'latest'", "version")
