"""Podium's HTTP API (aiohttp): start and cancel runs, query them, list pipelines.

    async with open_services(settings, ApiSettings()) as services:
        app = create_app(services, token=None)

Routes and their answers are listed in :mod:`podium.api._app`; every error is
JSON ``{"error": {"field", "message"}}``. ``podium api`` runs :func:`serve`.
"""

from podium.api._app import (
    SERVICES,
    ApiServices,
    Check,
    Pipelines,
    Runs,
    authorized,
    create_app,
)
from podium.api._errors import ApiError, error_response
from podium.api._input import RunBody, RunQuery, json_object, parse_run_body, parse_run_query
from podium.api._render import pipeline_json
from podium.api._serve import CheckedProducer, open_services, serve
from podium.api._settings import ApiSettings, load_api_settings

__all__ = [
    "SERVICES",
    "ApiError",
    "ApiServices",
    "ApiSettings",
    "Check",
    "CheckedProducer",
    "Pipelines",
    "RunBody",
    "RunQuery",
    "Runs",
    "authorized",
    "create_app",
    "error_response",
    "json_object",
    "load_api_settings",
    "open_services",
    "parse_run_body",
    "parse_run_query",
    "pipeline_json",
    "serve",
]
