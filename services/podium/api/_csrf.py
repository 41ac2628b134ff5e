"""Cross-site request forgery: a page on another site must not act through a browser.

The bearer token alone does not protect an API that runs without one (the default on
a laptop), and a browser sends a cross-site form POST to ``127.0.0.1:8080`` happily.
So every state-changing request (POST, PUT, PATCH, DELETE) is refused with 403 when:

- it comes from a browser on another origin (an ``Origin`` header that is not this
  API's own, or ``Sec-Fetch-Site: cross-site``); or
- it comes from a browser page at all (an ``Origin`` header, or the dashboard's
  ``podium_csrf`` cookie) without the ``X-Podium-CSRF`` header equal to that cookie
  (the double-submit pattern: only a page served from here can read the cookie).

Programs that are not browsers (the CLI, curl, services) send neither and pass as before.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from podium.api._errors import ApiError, Handler

COOKIE = "podium_csrf"
HEADER = "X-Podium-CSRF"
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_problem(method: str, host: str | None, headers: Any, cookie: str | None) -> str | None:
    """Why this request is refused, or None. Pure: the rules in the module docstring."""
    if method.upper() not in _UNSAFE:
        return None
    origin = headers.get("Origin")
    if origin is not None and origin != "null" and urlsplit(origin).netloc != (host or ""):
        return f"cross-origin request refused (Origin {origin})"
    if origin == "null" or headers.get("Sec-Fetch-Site") == "cross-site":
        return "cross-site request refused"
    if origin is None and cookie is None:
        return None
    given = headers.get(HEADER) or ""
    if cookie is None or not hmac.compare_digest(given.encode(), cookie.encode()):
        return f"missing or wrong {HEADER} header (reload the dashboard)"
    return None


@web.middleware
async def csrf_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    problem = csrf_problem(
        request.method, request.host, request.headers, request.cookies.get(COOKIE)
    )
    if problem is not None:
        raise ApiError(403, problem, HEADER)
    return await handler(request)
