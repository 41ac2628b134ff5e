"""Approvals and signals over HTTP: ``POST /v1/runs/{id}/steps/{step}/approve|reject`` and
``POST /v1/runs/{id}/signals/{name}``. Each produces a ``Signal`` to the signals topic
(what any service may send too); the coordinator's waiter ends the waiting step with it.
202: sent; 404: no such run; 409: the run ended, or the step is not an approval."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from aiohttp import web

from podium.api._errors import ApiError
from podium.api._input import json_object
from podium.errors import BrokerError
from podium.pipelines import Pipeline
from podium.registry import UnknownPipelineError
from podium.runs import (
    NotWaitingStepError,
    RunFinishedError,
    RunNotFoundError,
    check_approval,
    check_cancellable,
    decide,
    send_signal,
)

DECISION_FIELDS = ("comment", "by")
MAX_TEXT = 2000


def add_wait_routes(
    app: web.Application, services: Any, trace: Callable[[web.Request], Any]
) -> None:
    async def approve(request: web.Request) -> web.Response:
        return await _decision(request, services, trace, approve=True)

    async def reject(request: web.Request) -> web.Response:
        return await _decision(request, services, trace, approve=False)

    async def signal(request: web.Request) -> web.Response:
        return await _signal(request, services, trace)

    app.router.add_post("/v1/runs/{run_id}/steps/{step}/approve", approve)
    app.router.add_post("/v1/runs/{run_id}/steps/{step}/reject", reject)
    app.router.add_post("/v1/runs/{run_id}/signals/{name}", signal)


async def _decision(
    request: web.Request, services: Any, trace: Callable[[web.Request], Any], *, approve: bool
) -> web.Response:
    run_id, step = request.match_info["run_id"], request.match_info["step"]
    body = json_object(await request.read(), DECISION_FIELDS)
    comment, by = _text(body, "comment", ""), _text(body, "by", "api")
    view = services.runs.get(run_id)
    with refusals():
        check_approval(view, run_id, pipeline_of(services, view), step)
    await sent(
        decide(services.producer, services.codec, services.topics, run_id, step,
               approve=approve, comment=comment, by=by, trace=trace(request))
    )  # fmt: skip
    decision = "approved" if approve else "rejected"
    return web.json_response(
        {"run_id": run_id, "step": step, "decision": decision, "by": by}, status=202
    )


async def _signal(
    request: web.Request, services: Any, trace: Callable[[web.Request], Any]
) -> web.Response:
    run_id, name = request.match_info["run_id"], request.match_info["name"]
    payload = json_object(await request.read(), _ANY)
    with refusals():
        check_cancellable(services.runs.get(run_id), run_id)
    by = request.headers.get("X-Podium-Sender", "api")[:200]
    await sent(
        send_signal(services.producer, services.codec, services.topics, run_id, name, payload,
                    sent_by=by, trace=trace(request))
    )  # fmt: skip
    return web.json_response({"run_id": run_id, "signal": name, "by": by}, status=202)


class _AnyKey(tuple[str, ...]):
    def __contains__(self, key: object) -> bool:
        return True


_ANY = _AnyKey()
"""A signal's payload is the user's own object: every key is allowed."""


def _text(body: Mapping[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str):
        raise ApiError(400, "expected a string", name)
    if len(value) > MAX_TEXT:
        raise ApiError(400, f"at most {MAX_TEXT} characters", name)
    return value or default


def pipeline_of(services: Any, view: Any) -> Pipeline | None:
    if view is None:
        return None
    try:
        found: Pipeline = services.pipelines.get(view.pipeline, view.version)
    except UnknownPipelineError:
        return None
    return found


@contextmanager
def refusals(
    *,
    state_error: type[Exception] = RunFinishedError,
    step_status: int = 409,
    step_field: str = "step",
) -> Iterator[None]:
    """The run client's refusals as HTTP answers: 404 for an unknown run, 409 for one whose
    status does not allow it (``RunFinishedError``, or ``state_error``), ``step_status``
    for a step that does not fit."""
    try:
        yield
    except RunNotFoundError as exc:
        raise ApiError(404, str(exc), "run_id") from exc
    except (RunFinishedError, state_error) as exc:
        raise ApiError(409, str(exc), "run_id") from exc
    except NotWaitingStepError as exc:
        raise ApiError(step_status, str(exc), step_field) from exc


async def sent(sending: Awaitable[Any]) -> None:
    try:
        await sending
    except BrokerError as exc:
        raise ApiError(503, str(exc)) from exc
