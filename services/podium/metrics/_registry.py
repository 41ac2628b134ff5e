"""A process's registry, and serving it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    start_http_server,
)

from podium.errors import ConfigError

log = logging.getLogger("podium.metrics")

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The text exposition format's content type, for a handler serving :func:`render`."""


def new_registry() -> CollectorRegistry:
    """A registry of its own, with the process (CPU, memory, open files) and platform
    (Python version) metrics every exporter serves."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    """The registry in the text exposition format (what ``/metrics`` answers)."""
    return generate_latest(registry)


@dataclass
class MetricsServer:
    """A ``/metrics`` endpoint on a port of its own (prometheus-client's threaded server:
    a scrape never waits on the process's event loop, nor the loop on a scrape)."""

    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        port: int = self.server.server_port
        return port

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_metrics(
    registry: CollectorRegistry, port: int, host: str = "0.0.0.0", *, what: str = "podium"
) -> MetricsServer:
    """Serve ``registry`` on ``http://host:port/metrics`` (port 0: a free one); a port
    in use is a ConfigError naming the setting to change."""
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise ConfigError(
            f"{what}: cannot serve metrics on {host}:{port}: {exc.strerror or exc}; "
            "choose another --metrics-port"
        ) from exc
    served = MetricsServer(server, thread)
    log.info("%s: metrics on http://%s:%d/metrics", what, host, served.port)
    return served
