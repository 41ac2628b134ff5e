"""The dashboard's page and assets: package data, served with no CDN and no network.

``GET /`` is the one page (``ui/index.html``), ``GET /ui/<file>`` its script and style.
Neither needs the token: they hold no data. The page asks ``/v1`` for everything, with
the token when the API has one (it shows a login when ``/v1`` answers 401).

Every page answer carries a Content-Security-Policy allowing only this origin's own
script, style and connections, so even a value that slipped past the page's escaping
could not run as script; ``GET /`` also sets the CSRF cookie (see ``_csrf``).
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from podium.api._csrf import COOKIE, new_csrf_token
from podium.api._errors import ApiError

ASSETS = {"app.js": "text/javascript", "app.css": "text/css"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def asset(name: str) -> bytes:
    return resources.files("podium.api").joinpath("ui", name).read_bytes()


async def index(request: web.Request) -> web.Response:
    response = web.Response(
        body=asset("index.html"), content_type="text/html", headers=_SECURITY_HEADERS
    )
    if COOKIE not in request.cookies:
        response.set_cookie(COOKIE, new_csrf_token(), samesite="Strict", path="/")
    return response


async def ui_asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise ApiError(404, f"no dashboard asset {name!r}", "name")
    return web.Response(body=asset(name), content_type=ASSETS[name], headers=_SECURITY_HEADERS)


def add_pages(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/ui/{name}", ui_asset)
