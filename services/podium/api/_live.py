"""A run's view pushed to the dashboard as it changes: server-sent events.

``GET /v1/runs/{run_id}/stream`` answers ``text/event-stream``: one ``data:`` line
with the run's JSON (as ``GET /v1/runs/{id}``) at once, then again whenever the read
model applies an event of that run. Bursts are coalesced (at most one message per
``MIN_GAP_S``: a fan-out of fifty steps finishing together is one redraw, not fifty),
and a comment line every ``KEEPALIVE_S`` keeps proxies from closing an idle stream and
tells a handler whose browser went away to stop. The page reads it with ``fetch`` (not
``EventSource``, which cannot send the bearer token).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from podium.contract import RunStatusChanged

MIN_GAP_S = 0.1
KEEPALIVE_S = 15.0


class OpenStreams:
    """The stop events of the open streams, set when the API shuts down."""

    def __init__(self) -> None:
        self.stops: set[asyncio.Event] = set()


STREAMS = web.AppKey("streams", OpenStreams)

ViewJson = Callable[[str], dict[str, Any] | None]
"""The run's JSON now, or None when the read model no longer knows it."""


def add_streaming(app: web.Application) -> None:
    app[STREAMS] = OpenStreams()
    app.on_shutdown.append(_close_streams)


async def _close_streams(app: web.Application) -> None:
    for stop in list(app[STREAMS].stops):
        stop.set()


def sse_message(body: dict[str, Any]) -> bytes:
    """One server-sent event carrying ``body`` (JSON on one line, so one ``data:`` field)."""
    return b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


async def stream_view(
    request: web.Request,
    run_id: str,
    view_json: ViewJson,
    subscribe: Callable[[Callable[[RunStatusChanged], None]], Callable[[], None]],
) -> web.StreamResponse:
    """Stream ``run_id``'s JSON until the browser goes away or the API stops."""
    first = view_json(run_id)
    changed, stop = asyncio.Event(), asyncio.Event()
    unsubscribe = subscribe(lambda event: changed.set() if event.run_id == run_id else None)
    request.app[STREAMS].stops.add(stop)
    response = web.StreamResponse(headers=_SSE_HEADERS)
    try:
        await response.prepare(request)
        if first is not None:
            await response.write(sse_message(first))
        with contextlib.suppress(ConnectionError):
            await _follow(response, run_id, view_json, changed, stop)
    finally:
        unsubscribe()
        request.app[STREAMS].stops.discard(stop)
    return response


async def _follow(
    response: web.StreamResponse,
    run_id: str,
    view_json: ViewJson,
    changed: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    while not stop.is_set():
        if not await _either(changed, stop, KEEPALIVE_S):
            await response.write(b": keepalive\n\n")
            continue
        if stop.is_set():
            return
        changed.clear()
        body = view_json(run_id)
        if body is not None:
            await response.write(sse_message(body))
        await asyncio.sleep(MIN_GAP_S)


async def _either(changed: asyncio.Event, stop: asyncio.Event, timeout: float) -> bool:
    """Wait for either event; False when ``timeout`` passed with neither."""
    waits = [asyncio.ensure_future(changed.wait()), asyncio.ensure_future(stop.wait())]
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when="FIRST_COMPLETED")
    for task in pending:
        task.cancel()
    return bool(done)


_SSE_HEADERS = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # nginx: pass each message on, do not buffer the stream
}
