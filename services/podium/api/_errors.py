"""Every error the API answers is JSON: ``{"error": {"field": ..., "message": ...}}``.

``field`` names what to fix (``params.threshold``, ``pipeline``, ``body``...)
or is null when no single field is at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger("podium.api")

TOO_LARGE_HINT = "the API's max_body_bytes, set by PODIUM_API__MAX_BODY_BYTES"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An answer other than success, raised from a handler and rendered by the middleware."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = headers or {}
        self.extra = extra or {}
        """More of the error's own facts, beside ``field`` and ``message`` in its body."""

    def response(self) -> web.Response:
        return error_response(self.status, self.message, self.field, self.headers, self.extra)


def error_response(
    status: int,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> web.Response:
    body = {"error": {"field": field, "message": message, **(extra or {})}}
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure, including aiohttp's own (404, 405, 413), into a JSON error."""
    try:
        return await handler(request)
    except ApiError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:  # aiohttp's own cap on any body: say which setting it is
            return error_response(413, f"{exc.text} ({TOO_LARGE_HINT})", "body")
        keep = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(exc.status, exc.text or exc.reason, None, keep)
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal error: see the API's log")
