"""The HTTP API: routes, handlers and middleware over injected services.

Handlers only translate: HTTP in, a call on the run client / registry / read
model, JSON out. What they talk to is passed in as :class:`ApiServices`, so unit
tests give fakes and ``podium api`` gives the Kafka-backed ones (``_serve``).

    POST /v1/runs               202 {"run_id", "pipeline", "version"}
    GET  /v1/runs?pipeline=&status=&since=&until=&q=&limit=&before=
                                {"runs": [summary...], "count", "next": cursor|null}, newest
                                first; since/until ISO-8601 (until exclusive); q: in the run
                                id, or equal to a scalar param as text; before: a page's next
    GET  /v1/runs/{run_id}      404 when unknown
    POST /v1/runs/{run_id}/cancel   202; 404 unknown; 409 already finished
    POST /v1/runs/{run_id}/retry|pause|resume   run control: see podium.api._control
    GET  /v1/runs/{run_id}/stream   text/event-stream of the run's JSON as it changes
    GET  /v1/pipelines          each with "recent": its last 100 finished runs' counts,
                                success rate and duration p50/p95
    GET  /v1/lag                every Podium consumer group's lag (podium.lag's JSON)
    GET  /v1/lag/history        each group's lag at every sample of the last hour
    GET  /v1/dlq, GET /v1/dlq/{topic}?limit=, POST /v1/dlq/{topic}/replay
                                dead letters: see podium.api._dlq
    GET  /v1/ui                 the dashboard's settings (the trace link template)
    GET  /healthz               200, or 503 with the problems
    GET  /, /ui/{file}          the dashboard (``_ui``); POSTs from a browser need CSRF (``_csrf``)
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry

from podium.api._control import add_control_routes
from podium.api._csrf import csrf_guard
from podium.api._cursor import RunKey, encode_cursor
from podium.api._dlq import DeadLetters, add_dlq_routes
from podium.api._errors import ApiError, Handler, json_errors
from podium.api._input import json_object, parse_run_body, parse_run_query
from podium.api._live import add_streaming, stream_view
from podium.api._metrics import REGISTRY, metrics, request_metrics
from podium.api._render import LagHistory, lag_history_json, pipeline_json
from podium.api._ui import add_pages
from podium.api._waits import add_wait_routes
from podium.codec import Codec
from podium.contract import (
    TRACE_HEADERS,
    RunRequested,
    RunStatusChanged,
    TriggerSource,
)
from podium.errors import BrokerError
from podium.lag import LagReport, register_lag_collector, report_json
from podium.metrics import new_registry
from podium.pipelines import (
    LimitError,
    ParamError,
    Pipeline,
    check_message_size,
    check_params_size,
    resolve_params,
)
from podium.registry import PipelinePause, RegisteredPipeline, UnknownPipelineError
from podium.runs import (
    Producer,
    RunFinishedError,
    RunNotFoundError,
    RunView,
    cancel_run,
    check_cancellable,
    idempotency_conflict,
    request_run,
    run_id_for,
    summary_json,
    view_json,
    with_pending_steps,
)
from podium.settings import LimitsSettings, TopicNames

Check = Callable[[], str | None]
"""A health check: None when healthy, else why not."""


class Pipelines(Protocol):
    """The published pipelines (``PipelineRegistry`` fits)."""

    def get(self, name: str, version: int | None = None) -> Pipeline: ...

    def list(self) -> list[RegisteredPipeline]: ...

    def pause(self, name: str) -> PipelinePause | None: ...


class Page(Protocol):
    """A page of runs (the read model's ``RunPage`` fits); ``next``: the key to page on."""

    @property
    def runs(self) -> Sequence[RunView]: ...

    @property
    def next(self) -> RunKey | None: ...


class Recent(Protocol):
    """A pipeline's recent record (the read model's ``RecentStats`` fits)."""

    def as_json(self) -> dict[str, Any]: ...


class Runs(Protocol):
    """The run read model (``ReadModel`` fits)."""

    def get(self, run_id: str) -> RunView | None: ...

    def page(self, limit: int = 50, before: RunKey | None = None, **wanted: Any) -> Page: ...

    def recent(self, pipeline: str) -> Recent: ...

    def note_requested(self, event: RunRequested) -> None: ...

    def add_listener(self, listener: Callable[[RunStatusChanged], None]) -> Callable[[], None]: ...


class Lag(Protocol):
    """The lag monitor (``LagMonitor`` fits)."""

    def report(self) -> LagReport | None: ...

    def problem(self) -> str | None: ...

    def history(self) -> LagHistory: ...


@dataclass
class ApiServices:
    """Everything the handlers use; ``checks`` feed ``/healthz`` by name."""

    pipelines: Pipelines
    runs: Runs
    producer: Producer
    codec: Codec
    topics: TopicNames
    checks: Mapping[str, Check] = field(default_factory=dict)
    limits: LimitsSettings = field(default_factory=LimitsSettings)
    """Input caps: a body over ``max_message_bytes`` or params over ``max_params_bytes``
    are answered 413 naming the limit and the field."""
    lag: Lag | None = None
    """The lag monitor behind ``GET /v1/lag`` and the lag gauges; None: 404 there."""
    dead_letters: DeadLetters | None = None
    """The DLQs behind ``/v1/dlq`` (see :mod:`podium.api._dlq`); None: 404 there."""
    trace_url: str | None = None
    """The dashboard's link to a run's trace: ``{trace_id}`` in it is replaced."""


SERVICES = web.AppKey("services", ApiServices)


def create_app(
    services: ApiServices,
    *,
    token: str | None = None,
    max_body_bytes: int = 1024 * 1024,
    registry: CollectorRegistry | None = None,
) -> web.Application:
    """The aiohttp application; with ``token``, every ``/v1`` route needs ``Bearer <token>``.
    ``GET /metrics`` serves ``registry`` (a new one by default), with the API's own
    request metrics in it; like ``/healthz`` it needs no token (it holds no secret)."""
    registry = new_registry() if registry is None else registry
    if services.lag is not None:
        register_lag_collector(registry, services.lag)
    middlewares = [request_metrics(registry), json_errors, csrf_guard, bearer_auth(token)]
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    app[SERVICES] = services
    app[REGISTRY] = registry
    app.router.add_get("/metrics", metrics)
    app.router.add_post("/v1/runs", post_run)
    app.router.add_get("/v1/runs", list_runs)
    app.router.add_get("/v1/runs/{run_id}", get_run)
    app.router.add_get("/v1/runs/{run_id}/stream", stream_run)
    app.router.add_post("/v1/runs/{run_id}/cancel", post_cancel)
    app.router.add_get("/v1/pipelines", list_pipelines)
    app.router.add_get("/v1/lag", get_lag)
    app.router.add_get("/v1/lag/history", get_lag_history)
    app.router.add_get("/v1/ui", ui_settings)
    add_dlq_routes(app, services.dead_letters)
    add_wait_routes(app, services, _trace_headers)
    add_control_routes(app, services, _trace_headers)
    app.router.add_get("/healthz", healthz)
    add_pages(app)
    add_streaming(app)
    return app


def bearer_auth(token: str | None) -> Any:
    """Middleware requiring the token on ``/v1`` routes (constant-time comparison)."""
    expected = token.encode() if token else None

    @web.middleware
    async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        guarded = expected is not None and request.path.startswith("/v1")
        if guarded and not authorized(request.headers.get("Authorization"), expected):
            headers = {"WWW-Authenticate": 'Bearer realm="podium"'}
            raise ApiError(401, "missing or wrong bearer token", "Authorization", headers)
        return await handler(request)

    return auth


def authorized(header: str | None, expected: bytes | None) -> bool:
    """Whether ``header`` is ``Bearer <expected>``; compared in constant time."""
    if expected is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), expected)


async def post_run(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    raw = await request.read()
    _within(lambda: check_message_size(raw, services.limits, "body"))
    body = parse_run_body(raw)
    pipeline = _pipeline(services.pipelines, body.pipeline, body.version)
    params = _params(pipeline, body.params, services.limits)
    _no_conflict(services.runs, pipeline.name, body.idempotency_key, params)
    try:
        event = await request_run(
            services.producer,
            services.codec,
            services.topics,
            pipeline,
            params,
            idempotency_key=body.idempotency_key,
            source=TriggerSource.API,
            trace=_trace_headers(request),
            priority=body.priority,
        )
    except ParamError as exc:
        raise ApiError(400, exc.reason, exc.field) from exc
    except BrokerError as exc:
        raise ApiError(503, str(exc)) from exc
    services.runs.note_requested(event)
    answer = {"run_id": event.run_id, "pipeline": pipeline.name, "version": pipeline.version}
    return web.json_response(answer, status=202)


def _no_conflict(runs: Runs, pipeline: str, key: str | None, params: dict[str, Any]) -> None:
    """409 when ``key`` already named a run of ``pipeline`` with other params."""
    if key is None:
        return
    conflict = idempotency_conflict(runs.get(run_id_for(pipeline, key)), key, params)
    if conflict is not None:
        extra = {"run_id": conflict.run_id, "stored_params": conflict.stored, "params": params}
        raise ApiError(409, conflict.message(), "idempotency_key", extra=extra)


async def list_runs(request: web.Request) -> web.Response:
    query = parse_run_query(request.query)
    page = request.app[SERVICES].runs.page(query.limit, query.before, **query.wanted)
    runs = [summary_json(v) for v in page.runs]
    cursor = None if page.next is None else encode_cursor(page.next)
    return web.json_response({"runs": runs, "count": len(runs), "next": cursor})


async def get_run(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    run_id = request.match_info["run_id"]
    view = services.runs.get(run_id)
    if view is None:
        raise ApiError(404, str(RunNotFoundError(run_id)), "run_id")
    return web.json_response(view_json(_with_declared(services.pipelines, view)))


async def stream_run(request: web.Request) -> web.StreamResponse:
    """The run's JSON now and at every change (``_live``); 404 when unknown."""
    services = request.app[SERVICES]
    run_id = request.match_info["run_id"]
    if services.runs.get(run_id) is None:
        raise ApiError(404, str(RunNotFoundError(run_id)), "run_id")

    def current(wanted: str) -> dict[str, Any] | None:
        view = services.runs.get(wanted)
        return None if view is None else view_json(_with_declared(services.pipelines, view))

    return await stream_view(request, run_id, current, services.runs.add_listener)


async def post_cancel(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    run_id = request.match_info["run_id"]
    reason = json_object(await request.read(), ("reason",)).get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, "expected a string", "reason")
    _cancellable(services.runs.get(run_id), run_id)
    try:
        await cancel_run(
            services.producer,
            services.codec,
            services.topics,
            run_id,
            reason=reason or "cancelled via the API",
            requested_by="api",
            trace=_trace_headers(request),
        )
    except BrokerError as exc:
        raise ApiError(503, str(exc)) from exc
    return web.json_response({"run_id": run_id, "status": "CANCEL_REQUESTED"}, status=202)


async def list_pipelines(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    entries = services.pipelines.list()
    # every version of a name shares its runs' record: one look per name
    recent = {name: services.runs.recent(name).as_json() for name in {e.name for e in entries}}
    paused = {name: _paused(services.pipelines.pause(name)) for name in recent}
    body = [
        {**pipeline_json(e), "recent": recent[e.name], "paused": paused[e.name]} for e in entries
    ]
    return web.json_response({"pipelines": body})


async def get_lag(request: web.Request) -> web.Response:
    """The monitor's last report; ``problem`` says why it is stale (the broker down)."""
    monitor = _monitor(request)
    return web.json_response({**report_json(monitor.report()), "problem": monitor.problem()})


def _monitor(request: web.Request) -> Lag:
    monitor = request.app[SERVICES].lag
    if monitor is None:
        raise ApiError(404, "this API runs no lag monitor")
    return monitor


async def get_lag_history(request: web.Request) -> web.Response:
    return web.json_response(lag_history_json(_monitor(request).history()))


async def ui_settings(request: web.Request) -> web.Response:
    return web.json_response({"trace_url": request.app[SERVICES].trace_url})


async def healthz(request: web.Request) -> web.Response:
    """200 when every check passes, else 503 listing what is wrong."""
    checks = {name: check() for name, check in request.app[SERVICES].checks.items()}
    problems = {name: why for name, why in checks.items() if why is not None}
    status = "ok" if not problems else "unavailable"
    body = {"status": status, "checks": {n: why or "ok" for n, why in checks.items()}}
    return web.json_response(body, status=200 if not problems else 503)


def _params(pipeline: Pipeline, given: dict[str, Any], limits: LimitsSettings) -> dict[str, Any]:
    """The run's params as they will be sent (defaults filled in), within ``max_params_bytes``."""
    try:
        params = resolve_params(pipeline, given)
    except ParamError as exc:
        raise ApiError(400, exc.reason, exc.field) from exc
    _within(lambda: check_params_size(params, limits))
    return params


def _within(check: Callable[[], None]) -> None:
    """Run a limit check; over the limit is 413, naming the field and the limit."""
    try:
        check()
    except LimitError as exc:
        raise ApiError(413, str(exc), exc.field) from exc


def _pipeline(pipelines: Pipelines, name: str, version: int | None) -> Pipeline:
    try:
        return pipelines.get(name, version)
    except UnknownPipelineError as exc:
        known_name = any(key.startswith(f"{name}@") for key in exc.known)
        field = "version" if version is not None and known_name else "pipeline"
        raise ApiError(400, str(exc), field) from exc


def _cancellable(view: RunView | None, run_id: str) -> None:
    try:
        check_cancellable(view, run_id)
    except RunNotFoundError as exc:
        raise ApiError(404, str(exc), "run_id") from exc
    except RunFinishedError as exc:
        raise ApiError(409, str(exc), "run_id") from exc


def _with_declared(pipelines: Pipelines, view: RunView) -> RunView:
    """Show the steps nothing has happened to yet as PENDING, when the definition is known."""
    try:
        pipeline = pipelines.get(view.pipeline, view.version)
    except UnknownPipelineError:
        return view
    return with_pending_steps(view, (step.name for step in pipeline.steps))


def _paused(pause: PipelinePause | None) -> dict[str, object] | None:
    return None if pause is None else pause.detail()


def _trace_headers(request: web.Request) -> dict[str, str]:
    return {key: request.headers[key] for key in TRACE_HEADERS if key in request.headers}
