"""Find a Service by import path (``MODULE:OBJECT``) and run it until a signal."""

from __future__ import annotations

import importlib
from typing import Any

from podium._signals import stop_on_signals
from podium.service._errors import ServiceLoadError
from podium.service._service import Service
from podium.settings import PodiumSettings
from podium.tracing import traced_process


def load_service(spec: str) -> Service:
    """The :class:`Service` named by ``spec`` (``package.module:object``)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ServiceLoadError(
            f"{spec!r}: expected MODULE:OBJECT, e.g. examples.file_ingest.services:transform"
        )
    module = _import(module_name, spec)
    found = getattr(module, attribute, None)
    if found is None:
        raise ServiceLoadError(f"{spec!r}: module {module_name} has no attribute {attribute!r}")
    if not isinstance(found, Service):
        raise ServiceLoadError(
            f"{spec!r}: {attribute} is a {type(found).__name__}, not a podium.service.Service"
        )
    return found


def _import(module_name: str, spec: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise ServiceLoadError(
                f"{spec!r}: no module named {exc.name!r} (is it on PYTHONPATH?)"
            ) from exc
        raise


async def run_until_signalled(service: Service, settings: PodiumSettings) -> None:
    """Run ``service``; SIGTERM or SIGINT stops fetching and starts the graceful drain.
    Tracing is set up from ``OTEL_*`` (see ``podium.tracing``); spans are flushed at the end."""
    with traced_process(service.name), stop_on_signals() as stop:
        await service.run(settings, stop=stop)
