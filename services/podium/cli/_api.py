"""`podium api`: serve the HTTP API in the foreground."""

from __future__ import annotations

import asyncio

import click

from podium.cli._settings import settings_from
from podium.logs import configure_logging
from podium.tracing import traced_process


@click.command(name="api")
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default 8080).")
@click.pass_context
def group(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the HTTP API: start, cancel and query runs, list pipelines.

    Routes: POST /v1/runs, GET /v1/runs, GET /v1/runs/ID, POST /v1/runs/ID/cancel,
    GET /v1/pipelines, GET /healthz. With PODIUM_API__TOKEN set, every /v1 route
    needs `Authorization: Bearer <token>`. Host and port also come from
    PODIUM_API__HOST / PODIUM_API__PORT. Stop with SIGTERM or Ctrl-C.
    """
    from podium.api import load_api_settings, serve

    settings = settings_from(ctx)
    configure_logging("INFO", settings.log_format)
    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    api = load_api_settings().model_copy(update=overrides)
    with traced_process("podium-api"):
        asyncio.run(serve(settings, api, announce=click.echo))
