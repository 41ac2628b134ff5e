"""The API's own metrics, served on its HTTP port at ``/metrics``."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram

from podium.metrics import CONTENT_TYPE, render

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

UNMATCHED = "unmatched"
"""The route label of a request no route matched: one label, not one per path sent."""


def request_metrics(registry: CollectorRegistry) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Middleware counting requests by method, route template and status, and timing
    them by route; outermost, so errors answered by the JSON error middleware count too."""
    requests = Counter(
        "podium_api_requests",
        "HTTP requests by method, route (its template, e.g. /v1/runs/{run_id}) and status.",
        ["method", "route", "status"],
        registry=registry,
    )
    seconds = Histogram(
        "podium_api_request_duration_seconds",
        "Time to answer a request, by route.",
        ["route"],
        registry=registry,
    )

    @web.middleware
    async def measured(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            route = _route(request)
            requests.labels(request.method, route, str(status)).inc()
            seconds.labels(route).observe(time.perf_counter() - started)

    return measured


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


async def metrics(request: web.Request) -> web.Response:
    """``GET /metrics``: the API process's registry, in Prometheus's text format."""
    body = render(request.app[REGISTRY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
