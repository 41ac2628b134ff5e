"""Running the API: the Kafka-backed services, and the server around the app.

Start order matters for ``/healthz``: the registry and the read model are read
to their end before the server listens, so an instance never answers from a
half-read history.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from aiohttp import web
from aiokafka.errors import KafkaError

from podium.api._app import ApiServices, create_app
from podium.api._settings import ApiSettings
from podium.codec import Codec
from podium.contract import Headers
from podium.dlq import KafkaDeadLetters
from podium.lag import GroupNaming, LagMonitor, load_lag_settings, open_lag_source
from podium.pipelines import Pipeline
from podium.registry import PipelineRegistry
from podium.runs import ReadModel, finished_runs_in, open_producer
from podium.settings import PodiumSettings


class CheckedProducer:
    """A producer that remembers whether its last send failed, for ``/healthz``."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer
        self._failure: str | None = None

    async def send_and_wait(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        partition: int | None = None,
        timestamp_ms: int | None = None,
        headers: Headers | None = None,
    ) -> Any:
        try:
            result = await self._producer.send_and_wait(
                topic, value, key, partition, timestamp_ms, headers
            )
        except KafkaError as exc:
            self._failure = f"last send failed: {exc}"
            raise
        self._failure = None
        return result

    def problem(self) -> str | None:
        if not self._producer.client.cluster.brokers():
            return "the Kafka producer knows no broker"
        return self._failure


@asynccontextmanager
async def open_services(
    settings: PodiumSettings, api: ApiSettings, codec: Codec | None = None
) -> AsyncIterator[ApiServices]:
    """Registry, read model and producer, started (read to their end) and stopped after."""
    codec = codec or Codec()
    kwargs = settings.client_kwargs()
    timeout = api.start_timeout_s
    async with AsyncExitStack() as stack:
        registry = PipelineRegistry(
            kwargs, settings.topics.pipelines, start_timeout=timeout, dead_letter=True
        )
        await stack.enter_async_context(registry)
        runs = ReadModel(
            kwargs,
            settings.topics.run_events,
            codec,
            start_timeout=timeout,
            keep_finished_s=api.finished_run_retention_s or None,
        )
        await stack.enter_async_context(runs)
        producer = CheckedProducer(await stack.enter_async_context(open_producer(kwargs)))
        checks = {"registry": _started, "read_model": runs.problem, "producer": producer.problem}
        services = ApiServices(
            registry,
            runs,
            producer,
            codec,
            settings.topics,
            checks,
            settings.limits,
            trace_url=api.trace_url,
        )
        services.dead_letters = KafkaDeadLetters(kwargs, finished_runs_in(services.runs.get))
        if api.lag_monitor:
            services.lag = await stack.enter_async_context(_lag_monitor(settings, registry))
        yield services


@asynccontextmanager
async def _lag_monitor(
    settings: PodiumSettings, registry: PipelineRegistry
) -> AsyncIterator[LagMonitor]:
    """A lag monitor sampling in the background while the API serves."""
    naming = GroupNaming(settings.coordinator.app_id)

    def pipelines() -> list[Pipeline]:
        return [entry.pipeline for entry in registry.list()]

    async with open_lag_source(settings.client_kwargs()) as source:
        monitor = LagMonitor(source, pipelines, load_lag_settings(), naming)
        stop = asyncio.Event()
        task = asyncio.create_task(monitor.run(stop), name="podium-lag-monitor")
        try:
            yield monitor
        finally:
            # a sample in progress can take seconds on a big cluster; it is only a look,
            # so the API stops now instead of waiting for it
            stop.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def _started() -> str | None:
    """The registry was read to its end at start; it keeps following by itself."""
    return None


async def serve(
    settings: PodiumSettings,
    api: ApiSettings,
    *,
    announce: Callable[[str], None] = print,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM (or ``stop`` is set), then shut down cleanly."""
    stop = stop or _stop_on_signals()
    async with open_services(settings, api) as services:
        app = create_app(services, token=api.token_value(), max_body_bytes=api.max_body_bytes)
        runner = web.AppRunner(app)
        await runner.setup()
        try:
            site = web.TCPSite(runner, api.host, api.port)
            await site.start()
            auth = "bearer token required" if api.token_value() else "no auth"
            announce(f"podium api listening on {_address(runner)} ({auth}); Ctrl-C to stop")
            await stop.wait()
        finally:
            await runner.cleanup()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


def _address(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"
