"""Podium's HTTP API (aiohttp): start and cancel runs, query them, list pipelines.

    async with open_services(settings, ApiSettings()) as services:
        app = create_app(services, token=None)

Routes and their answers are listed in :mod:`podium.api._app`; every error is
JSON ``{"error": {"field", "message"}}``. ``podium api`` runs :func:`serve`.
"""

from podium.api._app import ApiServices, create_app
from podium.api._errors import ApiError
from podium.api._serve import open_services, serve
from podium.api._settings import ApiSettings, load_api_settings

__all__ = [
    "ApiError",
    "ApiServices",
    "ApiSettings",
    "create_app",
    "load_api_settings",
    "open_services",
    "serve",
]
